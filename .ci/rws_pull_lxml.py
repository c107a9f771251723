# The Rave pull a data manager would write: fetch an RWS answer, parse it whole with lxml, upsert its
# item values into SQLite by natural key, commit once per answer, follow the audit feed's
# Link rel="next" until there is none. `make bench-pull` runs it beside `trialsync pull --once` against
# the same simulator, so the two are measured in the same run on the same machine.
#
# usage: rws_pull_lxml.py BASE_URL STUDY audit|dataset DB [PER_PAGE]
# The Basic user and password come from RWS_USER and RWS_PASSWORD. Prints one JSON line.
import base64
import gzip
import json
import os
import re
import sqlite3
import sys
import time
import urllib.parse
import urllib.request

from lxml import etree

ODM = "{http://www.cdisc.org/ns/odm/v1.3}"
MDSOL = "{http://www.mdsol.com/ns/odm/metadata}"
KEY = ("study", "site", "subject", "event", "event_repeat", "form", "form_repeat", "item_group",
       "item_group_repeat", "item")
COLUMNS = KEY + ("value", "is_null", "audit_id", "user", "time", "reason")
SCHEMA = "CREATE TABLE IF NOT EXISTS clinical (%s, PRIMARY KEY (%s))" % (
    ", ".join(c + " TEXT NOT NULL" for c in COLUMNS), ", ".join(KEY))
UPSERT = "INSERT INTO clinical (%s) VALUES (%s) ON CONFLICT (%s) DO UPDATE SET %s" % (
    ", ".join(COLUMNS), ", ".join("?" * len(COLUMNS)), ", ".join(KEY),
    ", ".join("%s = excluded.%s" % (c, c) for c in COLUMNS[len(KEY):]))
NEXT = re.compile(r'<([^>]*)>\s*;\s*rel="?next"?')


def fetch(url, auth):
    req = urllib.request.Request(url, headers={"Authorization": auth, "Accept-Encoding": "gzip"})
    with urllib.request.urlopen(req, timeout=600) as resp:
        body = resp.read()
        if resp.headers.get("Content-Encoding") == "gzip":
            body = gzip.decompress(body)
        m = NEXT.search(resp.headers.get("Link") or "")
        return body, (m.group(1) if m else None)


def rows(doc):
    """Every ItemData of the document as a tuple in COLUMNS order."""
    for cd in doc.iterfind(ODM + "ClinicalData"):
        study = cd.get("StudyOID", "")
        for sd in cd.iterfind(ODM + "SubjectData"):
            subject = sd.get(MDSOL + "SubjectName") or sd.get("SubjectKey", "")
            ref = sd.find(ODM + "SiteRef")
            site = ref.get("LocationOID", "") if ref is not None else ""
            for ev in sd.iterfind(ODM + "StudyEventData"):
                for fd in ev.iterfind(ODM + "FormData"):
                    for ig in fd.iterfind(ODM + "ItemGroupData"):
                        for it in ig.iterfind(ODM + "ItemData"):
                            audit_id = user = when = reason = ""
                            ar = it.find(ODM + "AuditRecord")
                            if ar is not None:
                                u = ar.find(ODM + "UserRef")
                                user = u.get("UserOID", "") if u is not None else ""
                                when = ar.findtext(ODM + "DateTimeStamp", "")
                                reason = ar.findtext(ODM + "ReasonForChange", "")
                                audit_id = ar.findtext(ODM + "SourceID", "")
                            yield (study, site, subject, ev.get("StudyEventOID", ""), ev.get("StudyEventRepeatKey", ""),
                                   fd.get("FormOID", ""), fd.get("FormRepeatKey", ""), ig.get("ItemGroupOID", ""),
                                   ig.get("ItemGroupRepeatKey", ""), it.get("ItemOID", ""), it.get("Value", ""),
                                   "1" if it.get("IsNull") == "Yes" else "0", audit_id, user, when, reason)


def main(base, study, feed, db_path, per_page=10000):
    auth = "Basic " + base64.b64encode(("%s:%s" % (os.environ["RWS_USER"], os.environ["RWS_PASSWORD"])).encode()).decode()
    db = sqlite3.connect(db_path)
    db.execute(SCHEMA)
    db.commit()
    q = urllib.parse.quote(study, safe="()")
    if feed == "audit":
        url = "%s/datasets/ClinicalAuditRecords.odm?studyoid=%s&startid=1&per_page=%d" % (base, q, int(per_page))
    else:
        url = "%s/studies/%s/datasets/regular" % (base, q)
    start, cpu0 = time.perf_counter(), time.process_time()
    pages = total = 0
    while url:
        body, url = fetch(url, auth)
        batch = list(rows(etree.fromstring(body, etree.XMLParser(huge_tree=True))))
        db.executemany(UPSERT, batch)
        db.commit()
        pages += 1
        total += len(batch)
        if feed != "audit":
            break
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu0
    stored = db.execute("SELECT count(*) FROM clinical").fetchone()[0]
    db.close()
    print(json.dumps({"pages": pages, "rows": total, "stored": stored, "seconds": seconds, "cpu_seconds": cpu,
                      "rows_per_s": total / seconds if seconds else 0}))


if __name__ == "__main__":
    main(*sys.argv[1:])
