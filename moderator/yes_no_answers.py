"""Parsing a spoken yes/no answer, including hedges ("kind of"), leanings ("probably not") and
contradictions ("no, that's fine")."""

from __future__ import annotations

from moderator.spoken import _CORRECTIONS

_YES = (
    "yes|yeah|yea|yah|ya|yep|yup|yes please|sure|surely|absolutely|definitely|certainly|of course|correct|"
    "that's right|exactly|indeed|ok|okay|alright|all right|fine|that's fine|go ahead|totally|i do|we do|"
    "i agree|agreed|uhhuh|mhm|no problem|not a problem|no worries|why not|i don't mind|i do not mind|"
    "don't mind|dont mind|no objection|for sure|you bet|i think so|true|that's true|sounds good|please do|"
    "not bad|affirmative|i have|we have|i've|i did|we did|i am|we are"
)
_NO = (
    "no|nope|nah|naw|not really|not at all|no way|absolutely not|definitely not|certainly not|of course not|"
    "i don't think so|don't think so|dont think so|i do not think so|i don't|i dont|i do not|we don't|"
    "we do not|i'm not|i am not|not|never|no thanks|no thank you|negative|i'd rather not|rather not|"
    "i wouldn't|i won't|i haven't|i didn't|it isn't|it's not|it doesn't|wrong|incorrect|false|not anymore|"
    "no longer|i think not|we haven't|we didn't|we won't|we wouldn't|i have not|we have not|i have never|"
    "i've never|we have never|we've never|i am not|we are not|we aren't|i'm afraid not"
)
_LEAN_YES = "probably|i guess|i guess so|i suppose|i suppose so|mostly|pretty much|more or less"
_LEAN_NO = "probably not|i guess not|not exactly|not quite|not much|i suppose not"
_UNCLEAR = (
    "it depends|depends|kind of|kinda|sort of|sorta|maybe|perhaps|possibly|not sure|i'm not sure|unsure|"
    "don't know|dont know|i don't know|i do not know|dunno|i dunno|no idea|hard to say|difficult to say|"
    "yes and no|sometimes|partly|partially|somewhat|a little|a bit|in a way|not certain|could be|can't say|"
    "fifty fifty|50 50|not always|i have no idea|i am not sure"
)
# phrase -> (value, confident). The longest phrase at the earliest position decides.
_YES_NO: dict[str, tuple[bool | None, bool]] = {
    **dict.fromkeys(_YES.split("|"), (True, True)),
    **dict.fromkeys(_NO.split("|"), (False, True)),
    **dict.fromkeys(_LEAN_YES.split("|"), (True, False)),
    **dict.fromkeys(_LEAN_NO.split("|"), (False, False)),
    **dict.fromkeys(_UNCLEAR.split("|"), (None, False)),
}
_YES_NO_LONGEST = max(len(p.split()) for p in _YES_NO)
_INTERJECTIONS = {"yes", "yeah", "yep", "yup", "no", "nope", "nah"}
_DISCOURSE = {"ok", "okay", "alright", "all right", "fine"}  # "okay, um, no": the "okay" is not the answer


def _yes_no_matches(toks: list[str]) -> list[tuple[int, str]]:
    found, i = [], 0
    while i < len(toks):
        for n in range(min(_YES_NO_LONGEST, len(toks) - i), 0, -1):
            phrase = " ".join(toks[i : i + n])
            if phrase in _YES_NO:
                found.append((i, phrase))
                i += n
                break
        else:
            i += 1
    return found


def _parse_yes_no(toks: list[str]) -> tuple[bool | None, bool]:
    matches = _yes_no_matches(toks)
    if not matches:
        return None, False
    if matches[0][1] in _DISCOURSE and len(matches) > 1:
        matches = matches[1:]
    first_pos, first = matches[0]
    value, confident = _YES_NO[first]
    if value is None:
        # "it depends, mostly yes", "kind of, yeah": lean to the first definite answer, but confirm.
        definite = [_YES_NO[p][0] for _, p in matches[1:] if _YES_NO[p][0] is not None]
        return (definite[0] if definite else None), False
    for pos, phrase in matches[1:]:
        later, _ = _YES_NO[phrase]
        window = set(toks[first_pos:pos])
        if "but" in window:
            break  # "yes, but not always": a qualified yes stays a yes
        if later is None:
            confident = False  # "yeah, kind of"
        elif later != value and (_CORRECTIONS - {"no"}) & set(toks[max(first_pos + 1, pos - 3) : pos]):
            return later, True  # "no, wait, actually yes"
        elif later != value and (phrase in _INTERJECTIONS or phrase in ("no problem", "that's fine")):
            confident = False  # "yeah, no" / "no, that's fine": contradictory, confirm
    return value, confident
