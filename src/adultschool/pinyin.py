"""Pinyin of names: full pinyin (`zhangwei`) and initials (`zw`) to search by, and a sort key that orders by pinyin.

A person's name starts with a surname, read as a surname (单 shan, 曾 zeng, 尉迟 yuchi); a township's name has no such
rule. pypinyin's dictionaries take about a quarter of a second to load, so it is imported on the first key computed.
"""
from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from functools import lru_cache

# Surnames whose reading is not the character's everyday one (or that pypinyin's phrase dictionary reads otherwise).
# Compound surnames are tried before single ones.
COMPOUND_SURNAMES = {
    "尉迟": ("yu", "chi"), "万俟": ("mo", "qi"), "长孙": ("zhang", "sun"), "澹台": ("tan", "tai"),
    "单于": ("chan", "yu"), "欧阳": ("ou", "yang"), "令狐": ("ling", "hu"), "皇甫": ("huang", "fu"),
    "上官": ("shang", "guan"), "司马": ("si", "ma"), "诸葛": ("zhu", "ge"), "东方": ("dong", "fang"),
    "公孙": ("gong", "sun"), "夏侯": ("xia", "hou"), "宇文": ("yu", "wen"), "慕容": ("mu", "rong"),
    "端木": ("duan", "mu"), "南宫": ("nan", "gong"), "司徒": ("si", "tu"), "司空": ("si", "kong"),
    "独孤": ("du", "gu"), "呼延": ("hu", "yan"), "闻人": ("wen", "ren"), "拓跋": ("tuo", "ba"),
    "轩辕": ("xuan", "yuan"), "百里": ("bai", "li"), "西门": ("xi", "men"), "钟离": ("zhong", "li"),
    "宗政": ("zong", "zheng"), "濮阳": ("pu", "yang"), "淳于": ("chun", "yu"), "太史": ("tai", "shi"),
    "申屠": ("shen", "tu"), "公冶": ("gong", "ye"), "赫连": ("he", "lian"), "仲孙": ("zhong", "sun"),
    "左丘": ("zuo", "qiu"), "第五": ("di", "wu"), "亓官": ("qi", "guan"), "乐正": ("yue", "zheng"),
    "谷梁": ("gu", "liang"), "段干": ("duan", "gan"), "梁丘": ("liang", "qiu"), "微生": ("wei", "sheng"),
}
SURNAMES = {
    "单": "shan", "曾": "zeng", "解": "xie", "区": "ou", "仇": "qiu", "朴": "piao", "查": "zha", "乐": "yue",
    "盖": "ge", "缪": "miao", "覃": "qin", "翟": "zhai", "召": "shao", "种": "chong", "秘": "bi", "冼": "xian",
    "员": "yun", "句": "gou", "能": "nai", "繁": "po", "宿": "su", "折": "she", "黑": "he", "重": "chong",
    "尉": "wei", "长": "chang", "任": "ren", "华": "hua", "纪": "ji", "过": "guo", "燕": "yan", "要": "yao",
    "便": "pian", "厍": "she", "隗": "wei", "薄": "bo", "柏": "bai", "贲": "ben", "费": "fei", "都": "du",
    "藏": "zang", "沈": "shen", "石": "shi", "万": "wan", "祭": "zhai", "阚": "kan", "蕃": "pi", "啜": "chuai",
    "曲": "qu", "朝": "chao", "车": "che",
}

# The sort key: each character a token of SLOT letters (a syllable is at most six: zhuang), padded with "0", which
# sorts below every letter in SQLite's binary order and in PostgreSQL's locale collations alike; then the characters'
# code points, so names read alike stay apart in one fixed order. Only [0-9a-z]: the same order on both databases.
SLOT = 6
PAD = "0"
NO_READING = "z" * SLOT  # a character with no reading sorts after every syllable
SORT_KEY_LENGTH = 1200  # 100 characters (a name's limit) of 12


@dataclass(frozen=True)
class NameKeys:
    full: str  # zhangwei: lowercase, no tones, no separators (ü is v, as IMEs type it)
    initials: str  # zw
    sort_key: str


def _readings(text: str) -> list[str | None]:
    """One reading per character: a syllable, a lowercase Latin letter or digit, None for a character without one
    (kept as itself by the callers: a private-use character of an old font stays searchable), "" for what is left out
    (blanks, ·, punctuation)."""
    from pypinyin import Style, lazy_pinyin  # its dictionaries load here, not at start
    from pypinyin.pinyin_dict import pinyin_dict

    out: list[str | None] = []
    run: list[str] = []

    def flush() -> None:
        if run:  # a run of characters the dictionary knows: read together, so its phrases apply
            out.extend(s.lower() for s in lazy_pinyin("".join(run), style=Style.NORMAL))
            run.clear()

    for char in text:
        if ord(char) in pinyin_dict:
            run.append(char)
            continue
        flush()
        if char.isascii() and char.isalnum():
            out.append(char.lower())
        elif char.isspace() or unicodedata.category(char)[0] in "PZ" or unicodedata.category(char) in ("Cc", "Cf"):
            out.append("")
        else:
            out.append(None)
    flush()
    return out


def _keys(text: str, readings: list[str | None]) -> NameKeys:
    full, initials, tokens, points = [], [], [], []
    for char, reading in zip(text, readings):
        if reading == "":
            continue
        points.append(f"{ord(char):06x}")
        if reading is None:
            full.append(char)
            initials.append(char)
            tokens.append(NO_READING)
        else:
            full.append(reading)
            initials.append(reading[0])
            tokens.append(reading[:SLOT].ljust(SLOT, PAD))
    return NameKeys("".join(full), "".join(initials), ("".join(tokens) + "".join(points))[:SORT_KEY_LENGTH])


@lru_cache(maxsize=4096)
def person_name(name: str) -> NameKeys:
    """The keys of a person's name: its first character(s) read as a surname."""
    name = name.strip()
    surname = next((s for s in COMPOUND_SURNAMES if name.startswith(s)), None)
    if surname is not None:
        head: list[str | None] = list(COMPOUND_SURNAMES[surname])
    elif name[:1] in SURNAMES:
        surname, head = name[0], [SURNAMES[name[0]]]
    else:
        return _keys(name, _readings(name))
    return _keys(name, head + _readings(name[len(surname):]))


@lru_cache(maxsize=1024)
def place_name(name: str) -> NameKeys:
    """The keys of a township's (or any other) name: read as written, no surname rule."""
    name = name.strip()
    return _keys(name, _readings(name))


def is_pinyin_query(text: str) -> bool:
    """Whether a search text could be pinyin: Latin letters only (a blank or an apostrophe between syllables allowed)."""
    letters = latin_query(text)
    return bool(letters) and letters.isascii() and letters.isalpha()


def latin_query(text: str) -> str:
    """The search text as the stored keys hold it: lowercase, without blanks and apostrophes (xi'an → xian)."""
    return "".join(c for c in text.lower() if c not in " '’")
