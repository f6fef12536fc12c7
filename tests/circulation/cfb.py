"""Compound files (OLE2, the container of .doc/.xls/.ppt) written from scratch, so that the
tests can build legacy Office files with a VBA project, an Excel 4 macro sheet or an
external link without shipping binary samples. Version 3 of [MS-CFB]: 512-byte sectors,
streams under 4096 bytes in the mini stream, every storage's children chained as a tree
through their right siblings in the order the format sorts names."""

from __future__ import annotations

import struct

SECTOR = 512
MINI = 64
CUTOFF = 4096
FREE, END, FATSECT, NOSTREAM = 0xFFFFFFFF, 0xFFFFFFFE, 0xFFFFFFFD, 0xFFFFFFFF
MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"

Tree = dict[str, "bytes | Tree"]


def _order(name: str) -> tuple[int, str]:
    return (len(name), name.upper())


def _entries(tree: Tree) -> list[dict]:
    """Directory entries, root first; each storage's children chained by right siblings."""
    entries: list[dict] = [{"name": "Root Entry", "type": 5, "child": NOSTREAM, "data": b""}]

    def add(parent: int, children: Tree) -> None:
        previous = None
        for name in sorted(children, key=_order):
            value = children[name]
            index = len(entries)
            stream = isinstance(value, bytes)
            entries.append({"name": name, "type": 2 if stream else 1, "child": NOSTREAM,
                            "right": NOSTREAM, "data": value if stream else b""})  # fmt: skip
            if previous is None:
                entries[parent]["child"] = index
            else:
                entries[previous]["right"] = index
            previous = index
            if not stream:
                add(index, value)

    add(0, tree)
    return entries


def _chain(fat: list[int], first: int, count: int) -> None:
    for i in range(count):
        fat[first + i] = first + i + 1 if i < count - 1 else END


def compound(tree: Tree) -> bytes:
    """The bytes of a compound file holding `tree` (name → bytes for a stream, or → dict
    for a storage)."""
    entries = _entries(tree)
    mini_stream, mini_fat = bytearray(), []
    sectors: list[bytes] = []
    for entry in entries[1:]:
        data = entry["data"]
        entry["start"], entry["size"] = (END, 0) if not data else (0, len(data))
        if not data or entry["type"] != 2:
            continue
        if len(data) < CUTOFF:
            count = -(-len(data) // MINI)
            entry["start"] = len(mini_fat)
            mini_fat.extend(range(len(mini_fat) + 1, len(mini_fat) + count))
            mini_fat.append(END)
            mini_stream += data.ljust(count * MINI, b"\x00")
        else:
            count = -(-len(data) // SECTOR)
            entry["start"] = len(sectors)
            sectors.extend(data[i : i + SECTOR].ljust(SECTOR, b"\x00")
                           for i in range(0, len(data), SECTOR))  # fmt: skip
    flat = [FREE] * len(sectors)
    for entry in entries[1:]:
        if entry["type"] == 2 and entry["size"] >= CUTOFF:
            _chain(flat, entry["start"], -(-entry["size"] // SECTOR))

    def place(blob: bytes) -> tuple[int, int]:
        """Append blob in whole sectors, chained; (first sector, count)."""
        if not blob:
            return END, 0
        first = len(sectors)
        count = -(-len(blob) // SECTOR)
        sectors.extend(blob[i : i + SECTOR].ljust(SECTOR, b"\x00")
                       for i in range(0, len(blob), SECTOR))  # fmt: skip
        flat.extend([FREE] * count)
        _chain(flat, first, count)
        return first, count

    entries[0]["start"], _ = place(bytes(mini_stream))
    entries[0]["size"] = len(mini_stream)
    minifat_first, minifat_count = place(b"".join(struct.pack("<I", n) for n in mini_fat))
    directory = b"".join(_directory_entry(entry) for entry in entries)
    dir_first, _ = place(directory.ljust(-(-len(directory) // SECTOR) * SECTOR, b"\x00"))
    fat_count = 1
    while (len(sectors) + fat_count) > fat_count * (SECTOR // 4):
        fat_count += 1
    fat_first = len(sectors)
    flat.extend([FATSECT] * fat_count)
    flat.extend([FREE] * (fat_count * (SECTOR // 4) - len(flat)))
    fat_bytes = b"".join(struct.pack("<I", n) for n in flat)
    sectors.extend(fat_bytes[i : i + SECTOR] for i in range(0, len(fat_bytes), SECTOR))
    difat = [fat_first + i for i in range(fat_count)] + [FREE] * (109 - fat_count)
    header = (
        MAGIC + bytes(16) + struct.pack("<HHHHH", 0x3E, 3, 0xFFFE, 9, 6) + bytes(6)
        + struct.pack("<IIIIIIIII", 0, fat_count, dir_first, 0, CUTOFF,
                      minifat_first, minifat_count, END, 0)
        + b"".join(struct.pack("<I", n) for n in difat)
    )  # fmt: skip
    return header + b"".join(sectors)


def _directory_entry(entry: dict) -> bytes:
    name = entry["name"].encode("utf-16-le") + b"\x00\x00"
    return (
        name.ljust(64, b"\x00")
        + struct.pack("<HBB", len(name), entry["type"], 1)
        + struct.pack("<III", NOSTREAM, entry.get("right", NOSTREAM), entry["child"])
        + bytes(16 + 4 + 16)
        + struct.pack("<IQ", entry["start"], entry["size"])
    )


# --- Office content ------------------------------------------------------------------------

VBA_PROJECT = {
    "PROJECT": b'ID="{00000000-0000-0000-0000-000000000000}"\r\nModule=Module1\r\n',
    "VBA": {"_VBA_PROJECT": b"\xcc\x61\xff\xff\x00\x00\x00", "dir": b"\x01" * 16,
            "Module1": b"\x01\x00\x00Attribut\x00e VB_Name = \"Module1\""},
}  # fmt: skip


def biff(*records: tuple[int, bytes]) -> bytes:
    """An Excel 97 workbook stream: BOF, the records, EOF."""
    bof = (0x0809, struct.pack("<HHHHII", 0x0600, 0x0005, 0x0DBB, 0x07CC, 0, 0x06))
    return b"".join(struct.pack("<HH", kind, len(data)) + data
                    for kind, data in (bof, *records, (0x000A, b"")))  # fmt: skip


def sheet(name: str, *, macro: bool = False) -> tuple[int, bytes]:
    """A BOUNDSHEET record: a worksheet, or an Excel 4.0 macro sheet."""
    raw = name.encode("latin-1")
    return 0x0085, struct.pack("<IBBBB", 0, 0, 1 if macro else 0, len(raw), 0) + raw


def external_workbook(path: str) -> tuple[int, bytes]:
    """A SUPBOOK record naming another workbook (an external reference)."""
    raw = path.encode("latin-1")
    return 0x01AE, struct.pack("<HHB", 1, len(raw), 0) + raw + struct.pack("<HB", 6, 0) + b"Sheet1"


def word_text(text: str) -> bytes:
    """A WordDocument stream holding text (fields as 0x13 code 0x14 result 0x15)."""
    return b"\xec\xa5" + bytes(510) + text.encode("latin-1")
