"""Text helpers: the quote normalisation, answer units, stop words and key phrases."""

from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

_PUNCT_MAP = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"', "\u2013": "-", "\u2014": "-"})


def normalize_with_map(text: str) -> tuple[str, list[int]]:
    """The comparison form of `text` (NFKC, case-folded, punctuation dropped, whitespace
    collapsed) and, for each of its characters, the index of the original character."""
    out: list[str] = []
    index: list[int] = []
    pending_space = False
    for i, ch in enumerate(text):
        for c in unicodedata.normalize("NFKC", ch).translate(_PUNCT_MAP).casefold():
            if c.isalnum():
                if pending_space and out:
                    out.append(" ")
                    index.append(i)
                out.append(c)
                index.append(i)
                pending_space = False
            elif c == "'":
                continue  # "don't" == "dont": ASR and models disagree on apostrophes
            else:
                pending_space = True
    return "".join(out), index


def normalize(text: str) -> str:
    return normalize_with_map(text)[0]


STOPWORDS = frozenset(
    """a about above after again against all also am an and any are aren't as at be because been before being
    below between both but by can can't cannot could couldn't did didn't do does doesn't doing don't down during
    each few for from further had hadn't has hasn't have haven't having he he'd he'll he's her here here's hers
    herself him himself his how how's i i'd i'll i'm i've if in into is isn't it it's its itself let's me more
    most mustn't my myself no nor not of off on once only or other ought our ours ourselves out over own same
    shan't she she'd she'll she's should shouldn't so some such than that that's the their theirs them
    themselves then there there's these they they'd they'll they're they've this those through to too under
    until up very was wasn't we we'd we'll we're we've were weren't what what's when when's where where's which
    while who who's whom why why's with won't would wouldn't you you'd you'll you're you've your yours yourself
    yourselves yeah yes okay ok um uh like just really actually basically honestly guess think know mean well
    kind sort lot lots bit thing things stuff maybe probably pretty much get got go going gonna wanna us one
    two also still even every always never sometimes often right now today would could said say says
    week weeks month months year years day days time times people way""".split()
)

_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)*")


def words(text: str) -> list[str]:
    return [w.lower().replace("’", "'") for w in _WORD.findall(text)]


def content_words(text: str) -> list[str]:
    return [w for w in words(text) if w not in STOPWORDS and not w.isdigit() and len(w) > 1]


_NON_ANSWER = re.compile(
    r"^(?:i )?(?:don'?t know|dont know|not sure|no idea|no comment|pass|skip|nothing|no|yes|yeah|nope|"
    r"i'?m not sure|hard to say|can'?t remember|i don'?t remember)\b",
    re.I,
)


def is_non_answer(text: str) -> bool:
    stripped = " ".join(words(text))
    return not stripped or (len(content_words(text)) < 3 and bool(_NON_ANSWER.match(stripped)))


@dataclass(frozen=True)
class Span:
    start: int
    end: int


_SENTENCE_END = re.compile(r"[.!?]+[\"')\]]*(?=\s)|[.!?]+[\"')\]]*$")
_SOFT_BREAK = re.compile(r"[;:,]\s+|\s+(?:and|but|so|because|then)\s+", re.I)
MAX_UNIT_WORDS = 40


def sentence_spans(text: str, max_words: int = MAX_UNIT_WORDS) -> list[Span]:
    """Sentence-sized spans of `text` (offsets into it, whitespace trimmed). Unpunctuated
    ASR runs longer than `max_words` are cut at the soft break nearest their middle."""
    spans: list[Span] = []
    start = 0
    for match in _SENTENCE_END.finditer(text):
        spans.append(Span(start, match.end()))
        start = match.end()
    if start < len(text):
        spans.append(Span(start, len(text)))
    out: list[Span] = []
    for span in spans:
        out.extend(_split_long(text, span, max_words))
    trimmed = []
    for span in out:
        s, e = span.start, span.end
        while s < e and text[s].isspace():
            s += 1
        while e > s and text[e - 1].isspace():
            e -= 1
        if e > s:
            trimmed.append(Span(s, e))
    return trimmed


def _split_long(text: str, span: Span, max_words: int) -> list[Span]:
    piece = text[span.start : span.end]
    if len(piece.split()) <= max_words:
        return [span]
    middle = len(piece) // 2
    breaks = [m for m in _SOFT_BREAK.finditer(piece)]
    if breaks:
        cut = min(breaks, key=lambda m: abs(m.start() - middle))
        left, right = Span(span.start, span.start + cut.start() + 1), Span(span.start + cut.end(), span.end)
        if cut.group().strip().lower() in ("and", "but", "so", "because", "then"):
            left = Span(span.start, span.start + cut.start())
            right = Span(span.start + cut.start() + 1, span.end)  # keep the conjunction with what follows
    else:
        positions = [m.start() for m in re.finditer(r"\s+", piece)]
        if not positions:
            return [span]
        cut_at = min(positions, key=lambda p: abs(p - middle))
        left, right = Span(span.start, span.start + cut_at), Span(span.start + cut_at + 1, span.end)
    if left.end <= left.start or right.end <= right.start:
        return [span]
    return _split_long(text, left, max_words) + _split_long(text, right, max_words)


def ngrams(text: str) -> list[str]:
    """Content unigrams and bigrams of adjacent content words (no stop word between)."""
    toks = words(text)
    grams: list[str] = []
    prev: str | None = None
    for tok in toks:
        ok = tok not in STOPWORDS and not tok.isdigit() and len(tok) > 1
        if ok:
            grams.append(tok)
            if prev is not None:
                grams.append(f"{prev} {tok}")
            prev = tok
        else:
            prev = None
    return grams


def key_phrases(groups: Sequence[Iterable[str]], top: int = 4) -> list[list[str]]:
    """Distinctive phrases per group of texts (class-based TF-IDF over uni- and bigrams).

    Term frequency counts the texts of a group that use a phrase (not repeats within one),
    and a phrase found in many groups is down-weighted; bigrams get a small bonus because
    they read as names ("data entry" rather than "data")."""
    doc_freq: list[Counter[str]] = []
    for texts in groups:
        counter: Counter[str] = Counter()
        for text in texts:
            counter.update(set(ngrams(text)))
        doc_freq.append(counter)
    n_groups = len(doc_freq)
    groups_with = Counter(term for counter in doc_freq for term in counter)
    result = []
    for counter in doc_freq:
        size = max(1, max(counter.values(), default=1))
        scored = []
        for term, count in counter.items():
            if count < 2 and size > 2:
                continue
            idf = math.log(1 + n_groups / groups_with[term])
            bonus = 1.3 if " " in term else 1.0
            scored.append((count / size * idf * bonus, term))
        scored.sort(key=lambda x: (-x[0], x[1]))
        chosen: list[str] = []
        for _, term in scored:
            if any(term in c or c in term for c in chosen):
                continue
            chosen.append(term)
            if len(chosen) >= top:
                break
        result.append(chosen)
    return result


_CLAUSE_BREAK = re.compile(r"[,;:]\s+|\s+(?=(?:with|and|but|so|because|which|where|who)\s)", re.I)
MIN_CLAUSE_WORDS = 3


def clause_spans(text: str, span: Span) -> list[Span]:
    """A sentence span cut into clauses (at commas and before with/and/but/so/because/which/where/who);
    pieces under MIN_CLAUSE_WORDS words are joined to their neighbour."""
    piece = text[span.start : span.end]
    cuts = [0]
    for match in _CLAUSE_BREAK.finditer(piece):
        cuts.append(match.end())
    bounds = [(cuts[i], cuts[i + 1] if i + 1 < len(cuts) else len(piece)) for i in range(len(cuts))]
    merged: list[list[int]] = []
    for start, end in bounds:
        if merged and len(piece[merged[-1][0] : merged[-1][1]].split()) < MIN_CLAUSE_WORDS:
            merged[-1][1] = end
        else:
            merged.append([start, end])
    if len(merged) > 1 and len(piece[merged[-1][0] : merged[-1][1]].split()) < MIN_CLAUSE_WORDS:
        last = merged.pop()
        merged[-1][1] = last[1]
    out = []
    for start, end in merged:
        s, e = span.start + start, span.start + end
        while s < e and (text[s].isspace() or text[s] in ",;:"):
            s += 1
        while e > s and (text[e - 1].isspace() or text[e - 1] in ",;:.!?"):
            e -= 1
        if e > s:
            out.append(Span(s, e))
    return out
