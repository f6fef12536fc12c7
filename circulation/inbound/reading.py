"""Reading what a member wrote (quotes and signatures already taken out by text.py).

- A reply whose first line (after salutations and greetings) starts with 「質問」 (or
  "Question", as the English mails say) is a question to the secretariat, not a reply.
- 「審議が必要」/「審議は不要」 on a line of its own answers the meeting question
  (審議すべき重要事項の有無); the line leaves the opinion.
- Every other sentence is one of: said nothing (greetings, thanks, 「資料を拝見しました」,
  closings, the name), clearly no opinion (「意見はありません」「特に意見はございません」
  「異議ありません」「了承しました」「本件について、意見はございません」…), perhaps no opinion
  (「問題ないと思います」「承知しました」「大丈夫です」…), or something else: substance.
- Any substance: an opinion, the whole text (a no-opinion phrase next to substance does not
  make it 意見なし). Clearly no opinion and nothing uncertain: 意見なし. Otherwise (only
  uncertain phrases, or nothing said at all) it is UNCLEAR: held for the secretariat.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

NO_OPINION, OPINION, QUESTION, UNCLEAR = "no_opinion", "opinion", "question", "unclear"


@dataclass(frozen=True)
class Interpretation:
    kind: str  # NO_OPINION, OPINION, QUESTION, UNCLEAR, or "" when nothing was written
    opinion: str  # the opinion, or the question's text
    meeting_needed: bool | None


def normalise_line(line: str) -> str:
    """For matching only: full-width to half-width, no spaces, no brackets, no final 。."""
    text = unicodedata.normalize("NFKC", line).lower()
    text = re.sub(r"\s+", "", text)
    text = text.strip("「」『』【】[]()〈〉<>\"'*")
    return text.rstrip("。.!！、,")


# A topic in front of the phrase: 「本件について、」「議事録(案)に関しては」「標記の件、」.
_TOPIC = (
    r"(.{1,80}?(について|に関して|に関しまして|につきまして|の件|に対して|に対し)(は|も)?[,、]?"
    r"|本件(は)?[,、]?|標記(の件)?[,、]?)?"
)
_CLEAR = re.compile(
    "^" + _TOPIC + r"("
    # 意見なし / 特に意見はございません / 特段の意見等はありません / 意見・質問はありません
    r"(特に|特段|とくに|何も|なにも)?(の)?(ご?意見|異議|異論|異存|ご?質問|ご?指摘(事項)?|コメント|"
    r"修正(意見|点)?|問題(点)?|申し上げること|付け加えること|ご?意見・ご?質問|ご?質問・ご?意見)?"
    r"(等|など|・質問|や質問)?(は|も|が)?(特に|特段|とくに)?"
    r"(なし|無し|ありません|ございません|ないです|無いです|ありませんでした|ございませんでした)"
    r"(です|でございます)?"
    r"|(異議|異論|異存)(なし|無し|ありません|ございません|はありません|はございません)"
    r"|了承(しました|いたしました|します|いたします|です|致しました|致します)"
    r"|(原案|案|内容|資料)(の)?(とおり|通り)で(異議|異論|異存|問題)?(は)?"
    r"(ありません|ございません|結構です|差し支えありません|了承します|よろしいです)"
    r"|(no(opinions?|comments?|objections?|questions?)|none|nothing"
    r"|ihaveno(opinions?|comments?|objections?|questions?))"
    r")$"
)
_UNCERTAIN = re.compile(
    "^" + _TOPIC + r"("
    r"(特に|特段)?(問題|意見|異論|異議|異存)(は|も)?(特に)?(ない|無い|なさそう)(か)?(と|かと)"
    r"(思います|思われます|存じます|考えます|思う)"
    r"|(特に)?(問題|意見)(は)?なさそうです"
    r"|(大丈夫|ok|okay|オーケー)(です)?|了解(です|しました|いたしました)?"
    r"|承知(しました|いたしました|致しました|です)"
    r"|(原案|案)(に|で)?(賛成|同意)(です|します|いたします)?|賛成(です|します|いたします)"
    r"|(同意|異存ない)(します|です)"
    r")$"
)
_SALUTATION = re.compile(r"(御中|様|さま|各位|殿|先生|ご担当者?|ご担当者様)$")
_POLITE = re.compile(
    r"(お世話になって|お疲れ(様|さま)|ありがとう|有難う|よろしくお願い|宜しくお願い|失礼|恐れ入り|"
    r"恐縮|拝見|拝読|拝受|確認(しました|いたしました|致しました|させていただきました)|"
    r"ご連絡|ご送付|送付いただ|お送りいただ|お礼|お手数|取り急ぎ|以上|^dear|^hello|^hi$|^hi,|"
    r"^thanks?|^thankyou|^regards|^best)",
    re.IGNORECASE,
)
# A word that says something about the matter: a sentence with one is never "nothing said".
_SUBSTANCE = re.compile(
    r"(修正|削除|追加|変更|訂正|反対|疑問|懸念|気にな|誤り|誤記|誤字|間違|違い|異な|明記|検討|"
    r"要望|提案|必要|べき|望まし|不明|不足|欠落|ください|下さい|お願いしたい|たい$|ほしい|欲しい|"
    r"問題|意見|質問|審議|指摘|確認を)"
)
# "田中です" / "委員の田中太郎でございます": a self-introduction.
_SELF_INTRO = re.compile(r"^(\S{0,12}の)?\S{1,10}(です|でございます)$")
_NAME = re.compile(r"^[^\d\s、。,.!?！？:：]{1,8}$")
_MEETING = {"審議が必要": True, "審議は不要": False, "審議不要": False, "審議必要": True,
            "ameetingisneeded": True, "nomeetingneeded": False}  # fmt: skip
_OPINION_MARK = re.compile(r"^(ご?意見(あり|有り|があります|がございます|は以下のとおり(です)?))$")
_QUESTION_MARK = re.compile(
    r"^\s*[【\[「(（<]?\s*(ご?質問|question)\s*"
    r"(です|があります|がございます|させてください|させて下さい)?"
    r"\s*[】\]」)）>]?\s*[:：。、.]?\s*",
    re.IGNORECASE,
)


def interpret(text: str, *, has_attachments: bool = False) -> Interpretation:
    lines = text.split("\n")
    question = _question(lines)
    if question is not None:
        return Interpretation(QUESTION if question else "", question, None)
    meeting, lines = _meeting_lines(lines)
    content = [line for line in lines if line.strip()]
    if content and _OPINION_MARK.match(normalise_line(content[0])):
        lines = lines[lines.index(content[0]) + 1 :]
        content = content[1:]
    opinion = re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()
    kinds = _sentence_kinds(content)
    if "substance" in kinds:
        return Interpretation(OPINION, opinion, meeting)
    if "clear" in kinds and "uncertain" not in kinds:
        return Interpretation(NO_OPINION, "", meeting)
    if has_attachments and "clear" not in kinds:
        return Interpretation(OPINION, opinion or "(添付ファイルのとおり)", meeting)
    if kinds:
        return Interpretation(UNCLEAR, opinion, meeting)
    return Interpretation("", "", meeting)


def _sentence_kinds(content: list[str]) -> set[str]:
    """What each sentence does: "clear", "uncertain", "nothing" or "substance"."""
    kinds: set[str] = set()
    last = len(content) - 1
    for index, line in enumerate(content):
        for sentence in re.split(r"(?<=[。．!！?？])", line):
            key = normalise_line(sentence)
            if key:
                kinds.add(_kind_of(key, closing=index == last))
    return kinds


def _kind_of(key: str, *, closing: bool) -> str:
    if _CLEAR.match(key):
        return "clear"
    if _UNCERTAIN.match(key):
        return "uncertain"
    if _SALUTATION.search(key) and len(key) <= 40:
        return "nothing"
    if _POLITE.search(key) and not _SUBSTANCE.search(key):
        return "nothing"
    if _SELF_INTRO.match(key) and not _SUBSTANCE.search(key):
        return "nothing"
    if closing and _NAME.match(key) and not _SUBSTANCE.search(key):
        return "nothing"  # the name signing off
    return "substance"


def _question(lines: list[str]) -> str | None:
    """The question's text when the first thing said starts with 「質問」 (and is not
    「質問はありません」); None when the mail is not a question."""
    content = [(i, line) for i, line in enumerate(lines) if line.strip()]
    for i, line in content[:6]:
        key = normalise_line(line)
        if not key.startswith(("質問", "ご質問", "question")):
            if all(_kind_of(normalise_line(s), closing=False) == "nothing"
                   for s in re.split(r"(?<=[。．!！])", line) if normalise_line(s)):  # fmt: skip
                continue  # a salutation or greeting before it
            return None
        if _CLEAR.match(key):
            return None
        rest = _QUESTION_MARK.sub("", line.strip(), count=1)
        text = "\n".join([rest, *lines[i + 1 :]]) if rest else "\n".join(lines[i + 1 :])
        return re.sub(r"\n{3,}", "\n\n", text).strip()
    return None


def _meeting_lines(lines: list[str]) -> tuple[bool | None, list[str]]:
    """「審議が必要」/「審議は不要」 on a line of its own; the lines are taken out of the
    opinion. Both at once is unclear: the lines stay and the question stays unanswered."""
    found = {
        i: _MEETING[n] for i, line in enumerate(lines) if (n := _meeting_key(line)) in _MEETING
    }
    values = set(found.values())
    if len(values) != 1:
        return None, lines
    return values.pop(), [line for i, line in enumerate(lines) if i not in found]


def _meeting_key(line: str) -> str:
    key = normalise_line(line)
    return key[:-2] if key.endswith("です") else key
