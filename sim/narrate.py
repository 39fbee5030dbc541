"""Events in plain sentences, for a class watching the app or reading a run's events.jsonl.

:func:`narrate` turns one event record (a dict from ``model.events``) into one sentence
such as "Week 42: State 3 attributed the attack on critical infrastructure to State 7
with 70% confidence and imposed sanctions." Every kind the model logs has its own
sentence; an unknown kind still gets a readable generic one, so a new event never breaks
the log. Sentences say only what the actors in the story could know: a detection does
not name the culprit, an attribution names the accused (who may be the wrong state).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from sim.mechanics.incidents import TYPE_LABEL

Event = Mapping[str, Any]

# what a victim does after attributing, as the end of a sentence
RESPONSE_PHRASE = {
    "none": "did not respond",
    "tolerate": "chose not to respond",
    "demarche": "protested privately through its diplomats (a demarche)",
    "public": "said so publicly",
    "joint": "said so publicly together with its allies",
    "sanctions": "imposed sanctions",
    "retaliation": "retaliated in cyberspace",
}

RULE_LABEL = {
    "consensus": "by consensus",
    "qualified_majority": "by qualified majority",
    "silence": "under a silence procedure",
}


def _names(items: Iterable[Any] | None, limit: int = 6) -> str:
    """'A', 'A and B', 'A, B and C', or 'A, B, C and 5 others'."""
    items = [str(x) for x in (items or [])]
    if not items:
        return "nobody"
    if len(items) > limit:
        return f"{', '.join(items[: limit - 1])} and {len(items) - limit + 1} others"
    if len(items) == 1:
        return items[0]
    return f"{', '.join(items[:-1])} and {items[-1]}"


def _incident(e: Event) -> str:
    """'the espionage operation' (with an article, severity left out)."""
    label = TYPE_LABEL.get(str(e.get("type")), str(e.get("type", "incident")).replace("_", " "))
    return f"the {label}"


def _a(label: str) -> str:
    return f"an {label}" if label[:1].lower() in "aeiou" else f"a {label}"


def _percent(x: Any) -> str:
    try:
        return f"{round(float(x) * 100)}%"
    except (TypeError, ValueError):
        return "unknown"


def _detected(e: Event) -> str:
    label = _incident(e).removeprefix("the ")
    weeks = _weeks_ago(e)
    return (
        f"{e.get('target', 'A state')} detected {_a(label)} against it "
        f"(severity {e.get('severity', '?')}){weeks}; who is behind it is not yet known."
    )


def _weeks_ago(e: Event) -> str:
    op, step = e.get("operation_step"), e.get("step")
    if isinstance(op, int) and isinstance(step, int) and step > op:
        n = step - op
        return f", {n} week{'s' if n != 1 else ''} after it began"
    return ""


def _attributed(e: Event) -> str:
    victim = e.get("target", "A state")
    accused = e.get("attributed_to") or "an unknown party"
    response = RESPONSE_PHRASE.get(str(e.get("response")), f"responded with {e.get('response')}")
    return (
        f"{victim} attributed {_incident(e)} to {accused} with "
        f"{_percent(e.get('confidence'))} confidence and {response}."
    )


def _revealed(e: Event) -> str:
    wrong = e.get("wrongly_accused") or "the accused state"
    culprit = e.get("proxy") or e.get("initiator") or "someone else"
    how = " (a false flag)" if e.get("false_flag") else ""
    return (
        f"It came out that {wrong} was wrongly blamed for {_incident(e)} against "
        f"{e.get('target', 'a state')}{how}: it was {culprit}."
    )


def _retaliation(e: Event) -> str:
    hitter = e.get("initiator") or "A state"
    victim = e.get("target", "a state")
    tail = ", who had been wrongly blamed" if e.get("wrongly") else ""
    return f"{hitter} retaliated with a disruptive attack on {victim}{tail}."


def _escalation(e: Event) -> str:
    depth = e.get("depth")
    step = f" (escalation step {depth})" if depth is not None else ""
    return (
        f"{e.get('attacker', 'A state')} hit back at {e.get('target', 'its attacker')}: "
        f"the conflict escalates{step}."
    )


def _text(text: Mapping[str, Any] | None) -> str:
    if not text:
        return "an empty text"
    return "commitments " + ", ".join(f"{k} {float(v):.2f}" for k, v in text.items())


def _proposal(e: Event) -> str:
    accept, obj = e.get("accept") or [], e.get("object") or []
    objectors = f": {_names(obj, limit=4)}" if obj else ""
    return (
        f"{e.get('organization', 'An organisation')}, round {e.get('round', '?')} "
        f"of the negotiation: {len(accept)} accept the text on the table, "
        f"{len(obj)} object{objectors}."
    )


def _agreement(e: Event) -> str:
    signed = e.get("signatories") or []
    rule = RULE_LABEL.get(str(e.get("rule")), "")
    if e.get("outcome") == "reaffirmation":
        return (
            f"{e.get('organization', 'An organisation')} adopted a report that reaffirms "
            f"what earlier texts agreed ({_text(e.get('text'))}); nothing new was agreed."
        )
    return (
        f"{e.get('organization', 'An organisation')} adopted a text {rule}: "
        f"{len(signed)} of {e.get('members', len(signed))} members signed "
        f"({_text(e.get('text'))})."
    ).replace("  ", " ")


def _session_failed(e: Event) -> str:
    rule = RULE_LABEL.get(str(e.get("rule")), "")
    obj = e.get("objectors") or []
    org = e.get("organization", "negotiation")
    if not obj and e.get("reason"):
        return f"The {org} session could not start: {e['reason']}."
    item = e.get("item")
    on = f", most of them over {item} ({e.get('item_title') or item})" if item else ""
    return (
        f"The {org} session ended without agreement {rule}; {_names(obj)} still objected{on}."
    ).replace("  ", " ")


def _chair_summary(e: Event) -> str:
    kept = e.get("kept") or []
    rest = (
        f"the rest ({', '.join(map(str, kept))}) goes back to the members"
        if kept
        else ("nothing new is left to agree")
    )
    return (
        f"The chair of {e.get('organization')} moved the contested items "
        f"({', '.join(map(str, e.get('items') or [])) or 'none'}) into a chair's summary; "
        f"{rest}."
    )


def _track_opened(e: Event) -> str:
    return (
        f"After {e.get('reason', 'repeated failures')} in {e.get('organization')}, "
        f"{_names(e.get('coalition'))} opened a parallel track: {e.get('track')} "
        f"({e.get('members')} members)."
    )


def _review(e: Event) -> str:
    named = e.get("named") or []
    fell = e.get("fallback") or []
    text = f"The {e.get('organization')} review named {_names(named)} for violations"
    if fell:
        text += f"; members fell back on {', '.join(fell)}"
    return text + "."


def _mandate_ended(e: Event) -> str:
    outcome = "a consensus report" if e.get("outcome") == "report" else "no report (a failure)"
    return f"The mandate of {e.get('organization')} ended with {outcome}."


def _shock(e: Event) -> str:
    return (
        f"A major incident against {e.get('state')} opened a window: positions move "
        f"toward stronger commitments while the shock is fresh."
    )


def _accession(e: Event) -> str:
    return (
        f"{_names(e.get('states'))} joined the {e.get('organization', 'organisation')} "
        f"agreement on norms {', '.join(e.get('norms') or [])}."
    )


def _punishment(e: Event) -> str:
    accused = e.get("accused", "a state")
    return f"{_names(e.get('punishers'))} punished {accused} for breaking a norm."


def _track2(e: Event) -> str:
    states = _names(e.get("states"))
    trust = e.get("trust")
    level = f"; their trust is now {_percent(trust)}" if trust is not None else ""
    tank = e.get("think_tank", "A think tank")
    return f"{tank} brought {states} together in a Track-2 dialogue{level}."


def _intervention(e: Event) -> str:
    kind = e.get("intervention")
    if kind == "attack":
        label = TYPE_LABEL.get(str(e.get("type", "disruption")), str(e.get("type")))
        return (
            f"Instructor: {e.get('attacker')} launched {_a(label)} on {e.get('target')} "
            f"(severity {e.get('severity', 4)})."
        )
    if kind == "convene":
        org = e.get("organization") or "the first organisation"
        return f"Instructor: {org} was convened for a negotiation session now."
    if kind == "share_intelligence":
        return (
            f"Instructor: intelligence was shared with {e.get('state')} "
            f"(+{float(e.get('amount', 0.3)):.2f} attribution evidence a week)."
        )
    if kind == "hotline":
        return f"Instructor: a hotline was opened between {e.get('a')} and {e.get('b')}."
    args = ", ".join(
        f"{k}={v}" for k, v in e.items() if k not in ("step", "kind", "actors", "intervention")
    )
    return f"Instructor: {kind}" + (f" ({args})." if args else ".")


def _generic(e: Event) -> str:
    kind = str(e.get("kind", "event")).replace("_", " ")
    actors = e.get("actors") or []
    who = f" involving {_names(actors)}" if actors else ""
    return f"Event '{kind}'{who}."


NARRATORS: dict[str, Callable[[Event], str]] = {
    "detected": _detected,
    "attributed": _attributed,
    "revealed": _revealed,
    "retaliation": _retaliation,
    "escalation": _escalation,
    "proposal": _proposal,
    "agreement": _agreement,
    "session_failed": _session_failed,
    "accession": _accession,
    "track_opened": _track_opened,
    "chair_summary": _chair_summary,
    "review": _review,
    "mandate_ended": _mandate_ended,
    "shock": _shock,
    "punishment": _punishment,
    "track2": _track2,
    "intervention": _intervention,
}


def narrate(event: Event) -> str:
    """One event as one plain sentence, prefixed with its week ("Week 42: ...")."""
    fn = NARRATORS.get(str(event.get("kind")), _generic)
    try:
        body = fn(event)
    except (TypeError, ValueError, AttributeError, KeyError):  # malformed: still say something
        body = _generic(event)
    step = event.get("step")
    return f"Week {step}: {body}" if step is not None else body


def newest_first(
    events: list[Event], limit: int = 200, kinds: Iterable[str] | None = None
) -> list[str]:
    """The last ``limit`` events (optionally only some kinds) as sentences, newest first."""
    keep = set(kinds) if kinds is not None else None
    out: list[str] = []
    for e in reversed(events):
        if keep is not None and e.get("kind") not in keep:
            continue
        out.append(narrate(e))
        if len(out) >= limit:
            break
    return out
