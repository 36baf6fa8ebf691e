#!/usr/bin/env python3
"""Writes the fuzzer's starting corpus: ordinary files in every encoding and
delimiter Roster reads, and the hostile ones of shared/HOSTILE.md items 2-5."""
import io, os, zipfile

out = os.path.join(os.path.dirname(__file__), "corpus", "import")
os.makedirs(out, exist_ok=True)

def write(name, data):
    with open(os.path.join(out, name), "wb") as f:
        f.write(data)

csv = "firstname,lastname,email,comment\nJürgen,Müller,j@x.de,\"a, b\nc\"\n"
write("utf8.csv", csv.encode())
write("utf8-bom.csv", b"\xef\xbb\xbf" + csv.encode())
write("cp1252-semicolon.csv", csv.replace(",", ";").encode("cp1252"))
write("utf16le-tab.txt", b"\xff\xfe" + csv.replace(",", "\t").encode("utf-16-le"))
write("unbalanced.csv", b'a,b\n"open,1\n2,3\n')
write("formula.csv", b"email,comment\nx@y.de,=HYPERLINK(\"http://evil\")\n")
write("png.csv", b"\x89PNG\r\n\x1a\n")
write("ole.xlsx", bytes([0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1]) + b"\0" * 64)

def workbook(sheet, sst=None, extra=None):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>')
        z.writestr("_rels/.rels", '<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>')
        z.writestr("xl/workbook.xml", '<?xml version="1.0"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="S" sheetId="1" r:id="rId1"/></sheets></workbook>')
        z.writestr("xl/_rels/workbook.xml.rels", '<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/></Relationships>')
        z.writestr("xl/worksheets/sheet1.xml", '<?xml version="1.0"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>%s</sheetData></worksheet>' % sheet)
        if sst:
            z.writestr("xl/sharedStrings.xml", sst)
        for name, body in (extra or {}).items():
            z.writestr(name, body)
    return buf.getvalue()

cell = lambda r, t: '<c r="%s" t="inlineStr"><is><t>%s</t></is></c>' % (r, t)
write("ok.xlsx", workbook('<row r="1">%s%s</row><row r="2">%s<c r="B2"><v>4711</v></c></row>' % (cell("A1", "email"), cell("B1", "personalid"), cell("A2", "a@b.de"))))
write("huge-sst.xlsx", workbook(cell("A1", "x"), '<?xml version="1.0"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="1099511627776" uniqueCount="1099511627776"><si><t>x</t></si></sst>'))
write("xfd1048576.xlsx", workbook('<row r="1">%s</row><row r="1048576">%s</row>' % (cell("A1", "email"), cell("XFD1048576", "x"))))
write("entities.xlsx", workbook('<!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;">]><row r="1">%s</row>' % cell("A1", "&b;")))
write("macro.xlsm", workbook(cell("A1", "x"), extra={"xl/vbaProject.bin": "\0" * 16}))
write("bomb.xlsx", workbook('<row r="1">%s</row><!-- %s -->' % (cell("A1", "email"), "0" * (4 * 1024 * 1024))))
print("seeds written to", out)
