# lxml.iterparse with clear(): the usual constant-memory way to stream ODM in Python, extracting the
# same rows as trialsync (context, value, IsNull, AuditRecord). Prints one JSON line with the row count,
# the bytes read and the seconds spent parsing.
import json
import os
import sys
import time

from lxml import etree

ODM = "{http://www.cdisc.org/ns/odm/v1.3}"
MDSOL = "{http://www.mdsol.com/ns/odm/metadata}"
CLINICAL, SUBJECT, SITEREF = ODM + "ClinicalData", ODM + "SubjectData", ODM + "SiteRef"
EVENT, FORM, GROUP, ITEM = ODM + "StudyEventData", ODM + "FormData", ODM + "ItemGroupData", ODM + "ItemData"
AUDIT, USER, LOC, DTS, REASON, SOURCE = (ODM + n for n in
    ("AuditRecord", "UserRef", "LocationRef", "DateTimeStamp", "ReasonForChange", "SourceID"))


def proc_status(field):
    """A /proc/self/status figure in bytes (Linux), 0 elsewhere."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def main(path):
    start_rss = proc_status("VmRSS")
    start, cpu0 = time.perf_counter(), time.process_time()
    rows = 0
    ctx = {}
    for event, el in etree.iterparse(path, events=("start", "end"), huge_tree=True):
        tag = el.tag
        if event == "start":
            if tag == CLINICAL:
                ctx = {"study": el.get("StudyOID", ""), "subcategory": el.get(MDSOL + "AuditSubCategoryName", "")}
            elif tag == SUBJECT:
                ctx["subject"], ctx["site"] = el.get("SubjectKey", ""), ""
            elif tag == EVENT:
                ctx["event"], ctx["event_repeat"] = el.get("StudyEventOID", ""), el.get("StudyEventRepeatKey", "")
            elif tag == FORM:
                ctx["form"], ctx["form_repeat"] = el.get("FormOID", ""), el.get("FormRepeatKey", "")
            elif tag == GROUP:
                ctx["item_group"], ctx["item_group_repeat"] = el.get("ItemGroupOID", ""), el.get("ItemGroupRepeatKey", "")
            continue
        if tag == ITEM:
            row = dict(ctx)
            row["item"], row["value"] = el.get("ItemOID", ""), el.get("Value", "")
            row["is_null"] = el.get("IsNull") == "Yes"
            ar = el.find(AUDIT)
            if ar is not None:
                row["audit"] = {
                    "user": ar.find(USER).get("UserOID", ""),
                    "location": ar.find(LOC).get("LocationOID", ""),
                    "time": ar.findtext(DTS, ""),
                    "reason": ar.findtext(REASON, ""),
                    "source_id": ar.findtext(SOURCE, ""),
                }
            rows += 1
            el.clear()
            while el.getprevious() is not None:
                del el.getparent()[0]
        elif tag == SITEREF:
            ctx["site"] = el.get("LocationOID", "")
        elif tag in (SUBJECT, EVENT, FORM, GROUP, CLINICAL):
            el.clear()
            while el.getprevious() is not None:
                del el.getparent()[0]
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu0
    print(json.dumps({"rows": rows, "bytes": os.path.getsize(path), "seconds": seconds, "cpu_seconds": cpu,
                      "peak_rss": proc_status("VmHWM"), "start_rss": start_rss}))


if __name__ == "__main__":
    main(sys.argv[1])
