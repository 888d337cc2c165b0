"""Outputs as people use them: files opened with the programs that read them, and every
figure compared with plan.json.

The main case is `tests/data/outputs/coast.yaml` with a plan written by hand
(`coast-plan.json`, worked out in the scenario's comment), so these tests do not depend on
the solver; one test runs on a plan the solver made. The report is opened in a real
headless Chromium, driven over the DevTools protocol on a pipe (skipped, saying why, only
when no Chromium binary is installed).
"""

from __future__ import annotations

import base64
import csv
import json
import os
import re
import shutil
import subprocess
import tempfile
import threading
import time
import zipfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from planner.outputs import write_outputs, write_outputs_until
from planner.outputs.clock import day_clock, zone_abbreviation
from planner.outputs.printable import HEADLESS_FLAGS, draw_with_matplotlib, find_chromium
from planner.outputs.view import PlanView
from planner.read import read_scenario

DATA = Path(__file__).parent / "data" / "outputs"
SOLVE = Path(__file__).parent / "data" / "solve"
NAMES = [
    "Arvid Quellmark",
    "Brenna Quellmark",
    "Corin Quellmark",
    "Dagny Osterwold",
    "Elian Osterwold",
    "Fenna Marlowe",
    "Gisela Brandtner",
]


def _time(text: str) -> datetime:
    return datetime.fromisoformat(text)


@pytest.fixture(scope="module")
def scenario():
    return read_scenario(DATA / "coast.yaml")


@pytest.fixture(scope="module")
def plan() -> dict[str, Any]:
    return json.loads((DATA / "coast-plan.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def out(scenario, plan, tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("coast")
    (folder / "plan.json").write_text(json.dumps(plan), encoding="utf-8")
    write_outputs(scenario, plan, folder, printable=False)
    return folder


def test_the_handmade_plan_keeps_every_rule(scenario, plan):
    from planner.check import check_plan

    assert check_plan(scenario, plan) == []


def test_every_output_is_written(scenario, plan, tmp_path):
    paths = write_outputs(scenario, plan, tmp_path, printable=False)
    names = {p.relative_to(tmp_path).as_posix() for p in paths}
    assert {
        "itineraries.md",
        "itineraries/F001.md",
        "itineraries/F005.md",
        "run-sheets/van-1.md",
        "run-sheets/coach-1.md",
        "manifests/RESCUE-1.md",
        "crossings/gate.md",
        "csv/groups.csv",
        "csv/itineraries.csv",
        "csv/run_sheets.csv",
        "csv/manifests.csv",
        "csv/crossings.csv",
        "csv/summary.csv",
        "plan.xlsx",
        "calendars/groups/F001.ics",
        "calendars/groups/F003.ics",
        "calendars/vehicles/van-1.ics",
        "calendars/vehicles/coach-1.ics",
        "report.html",
    } <= names
    assert all(p.exists() and p.stat().st_size > 0 for p in paths)
    # groups that never move get an itinerary but no calendar
    assert "calendars/groups/F004.ics" not in names


# --- clocks ---------------------------------------------------------------------------


def test_zones_are_shown_by_abbreviation_or_offset():
    from datetime import timedelta, timezone

    assert zone_abbreviation(datetime(2013, 10, 3, 6, tzinfo=ZoneInfo("Africa/Tunis"))) == "CET"
    assert zone_abbreviation(datetime(2013, 10, 3, 6, tzinfo=ZoneInfo("Europe/Moscow"))) == "MSK"
    # zones whose abbreviation is a number, and fixed offsets, show the offset
    assert zone_abbreviation(datetime(2020, 1, 1, tzinfo=ZoneInfo("Asia/Dubai"))) == "+04:00"
    fixed = timezone(timedelta(hours=5, minutes=45))
    assert zone_abbreviation(datetime(2020, 1, 1, tzinfo=fixed)) == "+05:45"
    when = datetime(2013, 10, 3, 4, 0, tzinfo=UTC)
    assert day_clock(when, ZoneInfo("Africa/Tripoli")) == "Thu 03 Oct 06:00 CEST"


# --- itineraries, run sheets, manifests ---------------------------------------------------


def test_itinerary_gives_every_time_on_the_clock_of_its_place(out):
    text = (out / "itineraries" / "F001.md").read_text(encoding="utf-8")
    assert "Thu 03 Oct 06:00 CEST**: Be at Camp Alpha, north gate, board van-1 (van)" in text
    # the crossing starts on Libyan clocks and ends on Tunisian ones: 10:15 +02:00
    assert "Cross gate on foot" in text and "through by Thu 03 Oct 09:15 CET" in text
    assert "Thu 03 Oct 16:30 CET**: Check in at Seaside airport for flight RESCUE-1" in text
    assert "Flight RESCUE-1 departs Seaside airport" in text
    assert "arrives Fri 04 Oct 02:00 MSK" in text
    assert "stretcher: Corin Quellmark (2 seats)" in text
    # waits come in time order: the wait at the airport ends at check-in, not at departure
    assert "Wait at Seaside airport until 16:30 CET" in text
    whens = re.findall(r"^\d+\. \*\*(.+?)\*\*", text, flags=re.M)
    assert len(whens) == 8
    own = (out / "itineraries" / "F003.md").read_text(encoding="utf-8")
    assert "Cross gate in your own vehicle" in own
    assert "F003 member 2" in own


def test_groups_not_evacuated_get_status_and_reason(out):
    f004 = (out / "itineraries" / "F004.md").read_text(encoding="utf-8")
    assert "Left behind at Camp Alpha, north gate" in f004
    assert "no member holds a document that crossing gate accepts" in f004
    f005 = (out / "itineraries" / "F005.md").read_text(encoding="utf-8")
    assert "Safe, not evacuated" in f005
    combined = (out / "itineraries.md").read_text(encoding="utf-8")
    assert combined.count("# Itinerary of") == 5


def test_no_output_shows_a_bare_utc_time(out):
    for path in out.rglob("*.md"):
        text = path.read_text(encoding="utf-8")
        assert "UTC" not in text, path
        assert not re.search(r"\d\d:\d\d(?! ?(CEST|CET|MSK|[+-]\d\d:\d\d|-|\d))", text), path


def test_run_sheet_lists_legs_families_and_needs(out):
    text = (out / "run-sheets" / "van-1.md").read_text(encoding="utf-8")
    legs = re.findall(r"^## Leg (\d+)", text, flags=re.M)
    assert legs == ["1", "2"]
    assert "Depart Thu 03 Oct 06:00 CEST from Camp Alpha, north gate." in text
    assert "Aboard: 5 people, 6 seats of 8." in text
    assert "F001 (priority high; 3 people, 4 seats; stretcher: Corin Quellmark (2 seats))" in text
    assert "Arvid Quellmark, Brenna Quellmark, Corin Quellmark" in text
    assert "Get off at Border post (Libyan side): F001, F002" in text
    assert "- Empty." in text


def test_manifest_and_crossing_list(out):
    manifest = (out / "manifests" / "RESCUE-1.md").read_text(encoding="utf-8")
    rows = [line for line in manifest.splitlines() if re.match(r"\| \d+ \|", line)]
    assert len(rows) == 7
    assert "| 3 | Corin Quellmark | F001 | passport | 2 | high | stretcher |" in manifest
    assert "7 people in 3 groups; 8 seats of 30 taken." in manifest
    assert "Check-in closes Thu 03 Oct 16:30 CET." in manifest
    gate = (out / "crossings" / "gate.md").read_text(encoding="utf-8")
    assert "## Thu 03 Oct 09:00 CEST - 10:00 CEST: 5 of 6 people" in gate
    assert "## Thu 03 Oct 10:00 CEST - 11:00 CEST: 2 of 6 people" in gate
    assert (
        "| 09:15 CEST | F001 | Arvid Quellmark | diplomatic_passport | on foot | 09:15 CET |"
        in gate
    )
    assert "own vehicle" in gate


# --- spreadsheet, CSV and calendars agree with plan.json ----------------------------------


def _legs(plan: dict[str, Any]) -> list[tuple[str, int, dict[str, Any]]]:
    return [(g["id"], i, leg) for g in plan["groups"] for i, leg in enumerate(g["legs"], 1)]


def _naive_local(text: str, zone: Any) -> datetime:
    return _time(text).astimezone(zone).replace(tzinfo=None)


def check_spreadsheet(path: Path, scenario, plan: dict[str, Any]) -> None:
    """Every figure of plan.xlsx against plan.json."""
    from openpyxl import load_workbook

    wb = load_workbook(path)
    assert wb.sheetnames == [
        "Summary",
        "Groups",
        "Itineraries",
        "Run sheets",
        "Manifests",
        "Crossings",
    ]
    for ws in wb.worksheets:
        assert ws.freeze_panes == "A2"
        assert ws.auto_filter.ref == ws.dimensions

    def rows(name: str) -> list[dict[str, Any]]:
        values = list(wb[name].iter_rows(values_only=True))
        return [dict(zip(values[0], row, strict=True)) for row in values[1:]]

    zone = {pid: loc.timezone for pid, loc in scenario.locations.items()}
    legs = _legs(plan)
    itin = rows("Itineraries")
    assert len(itin) == len(legs)
    for row, (gid, i, leg) in zip(itin, legs, strict=True):
        assert (row["group"], row["leg"], row["kind"]) == (gid, i, leg["kind"])
        assert (row["from"], row["to"]) == (leg["from"], leg["to"])
        assert isinstance(row["depart"], datetime)
        assert row["depart"] == _naive_local(leg["depart"], zone[leg["from"]])
        assert row["arrive"] == _naive_local(leg["arrive"], zone[leg["to"]])
        depart = _time(leg["depart"]).astimezone(zone[leg["from"]])
        assert row["depart_zone"].split()[-1] == depart.isoformat()[-6:]
        carrier = leg.get("vehicle") or leg.get("service") or "foot"
        assert row["how"] == carrier

    groups = rows("Groups")
    assert [(r["group"], r["people"], r["status"]) for r in groups] == [
        (g["id"], g["people"], g["status"]) for g in plan["groups"]
    ]
    for r, g in zip(groups, plan["groups"], strict=True):
        assert (r["reason"] or None) == g["reason"]

    sheets = rows("Run sheets")
    vlegs = [(v, i, leg) for v in plan["vehicles"] for i, leg in enumerate(v["legs"], 1)]
    assert len(sheets) == len(vlegs)
    people = {g["id"]: g["people"] for g in plan["groups"]}
    for row, (v, i, leg) in zip(sheets, vlegs, strict=True):
        assert (row["vehicle"], row["leg"]) == (v["id"], i)
        assert (row["groups"] or "").split() == leg["groups"]
        assert row["people"] == sum(people[g] for g in leg["groups"])
        assert row["depart"] == _naive_local(leg["depart"], zone[leg["from"]])
        assert row["arrive"] == _naive_local(leg["arrive"], zone[leg["to"]])

    aboard: dict[str, int] = {}
    crossing_hours: dict[tuple[str, int], int] = {}
    for gid, _, leg in legs:
        if leg["kind"] in ("flight", "sailing"):
            aboard[leg["service"]] = aboard.get(leg["service"], 0) + people[gid]
        if leg["kind"] == "crossing":
            k = int((_time(leg["depart"]) - scenario.start).total_seconds() // 3600)
            key = (leg["crossing"], k)
            crossing_hours[key] = crossing_hours.get(key, 0) + people[gid]
    manifests = rows("Manifests")
    counted: dict[str, int] = {}
    for r in manifests:
        counted[r["service"]] = counted.get(r["service"], 0) + 1
    assert counted == aboard
    crossings = rows("Crossings")
    by_hour: dict[tuple[str, int], int] = {}
    for r in crossings:
        by_hour[(r["crossing"], r["hour"])] = by_hour.get((r["crossing"], r["hour"]), 0) + 1
    assert by_hour == crossing_hours

    summary = {r["figure"]: r["value"] for r in rows("Summary")}
    statuses = {"evacuated": 0, "safe": 0, "left_behind": 0}
    for g in plan["groups"]:
        statuses[g["status"]] += g["people"]
    assert summary["people"] == sum(people.values())
    assert summary["evacuated"] == statuses["evacuated"]
    assert summary["safe"] == statuses["safe"]
    assert summary["left behind"] == statuses["left_behind"]
    for name, value in plan["objective"].items():
        if value is not None:
            assert summary[f"objective {name}"] == pytest.approx(value)
    for name, value in (plan.get("bound") or {}).items():
        assert summary[f"bound {name}"] == pytest.approx(value)


def check_csv(folder: Path, plan: dict[str, Any]) -> None:
    """csv/itineraries.csv and csv/run_sheets.csv give the same instants as plan.json."""
    with (folder / "csv" / "itineraries.csv").open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    legs = _legs(plan)
    assert len(rows) == len(legs)
    for row, (gid, _, leg) in zip(rows, legs, strict=True):
        assert row["group"] == gid
        assert _time(row["depart"]) == _time(leg["depart"])
        assert _time(row["arrive"]) == _time(leg["arrive"])
    with (folder / "csv" / "run_sheets.csv").open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    vlegs = [leg for v in plan["vehicles"] for leg in v["legs"]]
    assert len(rows) == len(vlegs)
    for row, leg in zip(rows, vlegs, strict=True):
        assert _time(row["depart"]) == _time(leg["depart"])
        assert row["groups"].split() == leg["groups"]


def check_calendars(folder: Path, scenario, plan: dict[str, Any]) -> None:
    """Each family's and each vehicle's calendar against plan.json."""
    from icalendar import Calendar

    for g in plan["groups"]:
        path = folder / "calendars" / "groups" / f"{g['id']}.ics"
        if not g["legs"]:
            assert not path.exists()
            continue
        cal = Calendar.from_ical(path.read_bytes())
        events = [e for e in cal.walk("VEVENT") if "check in" not in str(e["SUMMARY"])]
        assert len(events) == len(g["legs"])
        for event, leg in zip(events, g["legs"], strict=True):
            start, end = event.decoded("DTSTART"), event.decoded("DTEND")
            assert start.tzinfo is not None and end.tzinfo is not None
            assert start == _time(leg["depart"]) and end == _time(leg["arrive"])
            zone = scenario.locations[leg["from"]].timezone
            if isinstance(zone, ZoneInfo):
                assert event["DTSTART"].params["TZID"] == zone.key
        services = [leg for leg in g["legs"] if leg["kind"] in ("flight", "sailing")]
        checks = [e for e in cal.walk("VEVENT") if "check in" in str(e["SUMMARY"])]
        assert len(checks) == len(services)
        for event, leg in zip(checks, services, strict=True):
            service = scenario.service_by_id[leg["service"]]
            assert event.decoded("DTEND") == _time(leg["depart"])
            assert event.decoded("DTSTART") == _time(leg["depart"]) - service.check_in
    for v in plan["vehicles"]:
        cal = Calendar.from_ical(
            (folder / "calendars" / "vehicles" / f"{v['id']}.ics").read_bytes()
        )
        events = list(cal.walk("VEVENT"))
        assert len(events) == len(v["legs"])
        for event, leg in zip(events, v["legs"], strict=True):
            assert event.decoded("DTSTART") == _time(leg["depart"])
            assert event.decoded("DTEND") == _time(leg["arrive"])
            for gid in leg["groups"]:
                assert gid in str(event["DESCRIPTION"])
        uids = [str(e["UID"]) for e in events]
        assert len(set(uids)) == len(uids)


def test_spreadsheet_agrees_with_plan(out, scenario, plan):
    check_spreadsheet(out / "plan.xlsx", scenario, plan)


def test_csv_agrees_with_plan(out, plan):
    check_csv(out, plan)


def test_calendars_agree_with_plan(out, scenario, plan):
    check_calendars(out, scenario, plan)


def test_a_plan_written_in_utc_gives_the_same_local_outputs(scenario, plan, out, tmp_path):
    """A plan from another tool may write its times with any offset: the files people read
    show the same local times."""
    moved = json.loads(json.dumps(plan))
    for g in moved["groups"]:
        for leg in g["legs"]:
            for key in ("depart", "arrive"):
                leg[key] = _time(leg[key]).astimezone(UTC).isoformat().replace("+00:00", "Z")
    del moved["bound"], moved["solver"]
    write_outputs(scenario, moved, tmp_path, printable=False)
    for name in ("itineraries.md", "run-sheets/van-1.md", "crossings/gate.md"):
        assert (tmp_path / name).read_text() == (out / name).read_text()
    check_spreadsheet(tmp_path / "plan.xlsx", scenario, moved)


def test_fixed_offset_scenario_shows_offsets(tmp_path):
    """A scenario with no named zone: times read `06:00 +02:00` and calendars use UTC."""
    scenario = read_scenario(SOLVE / "basic.yaml")
    plan = {
        "format": "evacuation-plan/1",
        "scenario": "basic",
        "status": "optimal",
        "objective": {"evacuated": 3, "exposure": 6.0, "arrival": 6.0, "makespan": 2.0},
        "bound": {"evacuated": 3},
        "groups": [
            {
                "id": "F1",
                "people": 3,
                "status": "evacuated",
                "reason": None,
                "legs": [
                    {
                        "kind": "road",
                        "from": "a",
                        "to": "b",
                        "vehicle": "bus-1",
                        "depart": "2013-10-03T06:00:00+02:00",
                        "arrive": "2013-10-03T08:00:00+02:00",
                    }
                ],
            }
        ],
        "vehicles": [
            {
                "id": "bus-1",
                "fleet": "bus",
                "legs": [
                    {
                        "kind": "road",
                        "from": "a",
                        "to": "b",
                        "depart": "2013-10-03T06:00:00+02:00",
                        "arrive": "2013-10-03T08:00:00+02:00",
                        "groups": ["F1"],
                    }
                ],
            }
        ],
    }
    write_outputs(scenario, plan, tmp_path, printable=False)
    text = (tmp_path / "itineraries" / "F1.md").read_text()
    assert "Thu 03 Oct 06:00 +02:00" in text and "Thu 03 Oct 08:00 +02:00" in text
    ics = (tmp_path / "calendars" / "groups" / "F1.ics").read_text()
    assert "DTSTART:20131003T040000Z" in ics
    check_calendars(tmp_path, scenario, plan)
    check_spreadsheet(tmp_path / "plan.xlsx", scenario, plan)
    html = (tmp_path / "report.html").read_text()
    assert "No place has a position" in html


# --- redaction ----------------------------------------------------------------------------


def _texts(folder: Path) -> dict[str, str]:
    """The text of every file, as a program would read it: spreadsheets unzipped, calendar
    lines unfolded."""
    out = {}
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        data = path.read_bytes()
        if zipfile.is_zipfile(path):
            with zipfile.ZipFile(path) as z:
                text = "".join(z.read(n).decode("utf-8", "replace") for n in z.namelist())
        else:
            text = data.decode("utf-8", "replace")
        out[str(path.relative_to(folder))] = text.replace("\r\n ", "").replace("\n ", "")
    return out


def test_redacted_outputs_hold_no_name(scenario, plan, out, tmp_path):
    # the unredacted outputs do name people (so the search below can find them)
    plain = "".join(_texts(out).values())
    assert all(name in plain for name in NAMES)
    write_outputs(scenario, plan, tmp_path, redact=True, printable=False)
    words = set(NAMES) | {part for name in NAMES for part in name.split()}
    for name, text in _texts(tmp_path).items():
        for word in words:
            assert word not in text, f"{word!r} in {name}"
    manifest = (tmp_path / "manifests" / "RESCUE-1.md").read_text()
    assert "| 3 | F001 member 3 | F001 | passport | 2 | high | stretcher |" in manifest
    check_spreadsheet(tmp_path / "plan.xlsx", scenario, plan)


def test_redaction_also_scrubs_names_in_free_text(scenario, plan, tmp_path):
    odd = json.loads(json.dumps(plan))
    odd["groups"][3]["reason"] = "Fenna Marlowe has no accepted document"
    write_outputs(scenario, odd, tmp_path, redact=True, printable=False)
    for name, text in _texts(tmp_path).items():
        assert "Marlowe" not in text, name
    assert "F004 member 1 has no accepted document" in (tmp_path / "report.html").read_text()


# --- report -------------------------------------------------------------------------------


def test_report_is_self_contained(out):
    html = (out / "report.html").read_text(encoding="utf-8")
    assert not re.search(r"https?://", html)
    assert "<link" not in html and "@import" not in html and "<img" not in html
    assert not re.search(r"\ssrc=", html)
    assert set(re.findall(r"url\(([^)]*)\)", html)) <= {"#map-clip", "#map-detail-clip"}
    assert 'id="timeline"' in html and 'id="map"' in html and 'class="chart load"' in html
    assert "depot: Fuel depot (LY)" in html  # a place without position is listed
    assert "no member holds a document that crossing gate accepts" in html


def test_report_summary_agrees_with_plan(out, plan):
    html = (out / "report.html").read_text(encoding="utf-8")
    cards = dict(
        (name, value)
        for value, name in re.findall(
            r'<div class="value">([^<]*)</div><div class="name">([^<]*)</div>', html
        )
    )
    assert cards["people"] == "9"
    assert cards["evacuated"] == str(plan["objective"]["evacuated"])
    assert cards["safe, not evacuated"] == "1"
    assert cards["left behind"] == "1"
    assert cards["last arrival at Home airfield"] == "Fri 04 Oct 02:00 MSK"
    assert cards["exposure, weighted person-hours"] == "80.75"
    assert cards["bound on exposure"] == "76.50 (gap 5.26%)"
    bars = re.findall(r'data-hour="(\d+)" data-people="(\d+)"', html)
    assert bars == [("3", "5"), ("4", "2")]


class DevTools:
    """A headless Chromium driven over the DevTools protocol on a pipe (fds 3 and 4)."""

    def __init__(self, browser: str, profile: str):
        to_r, self._to_w = os.pipe()
        self._from_r, from_w = os.pipe()

        def plumb() -> None:
            os.dup2(to_r, 3)
            os.dup2(from_w, 4)

        self.proc = subprocess.Popen(
            [browser, *HEADLESS_FLAGS, "--remote-debugging-pipe", f"--user-data-dir={profile}"],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            preexec_fn=plumb,
            pass_fds=(3, 4),
        )
        os.close(to_r)
        os.close(from_w)
        self.events: list[dict[str, Any]] = []
        self._replies: dict[int, dict[str, Any]] = {}
        self._lock = threading.Condition()
        self._next = 0
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        buffer = b""
        while True:
            chunk = os.read(self._from_r, 65536)
            if not chunk:
                return
            buffer += chunk
            *messages, buffer = buffer.split(b"\0")
            with self._lock:
                for raw in messages:
                    message = json.loads(raw)
                    if "id" in message:
                        self._replies[message["id"]] = message
                    else:
                        self.events.append(message)
                self._lock.notify_all()

    def send(self, method: str, session: str | None = None, **params: Any) -> dict[str, Any]:
        self._next += 1
        ident = self._next
        message: dict[str, Any] = {"id": ident, "method": method, "params": params}
        if session:
            message["sessionId"] = session
        os.write(self._to_w, json.dumps(message).encode() + b"\0")
        with self._lock:
            if not self._lock.wait_for(lambda: ident in self._replies, timeout=30):
                raise TimeoutError(method)
            reply = self._replies.pop(ident)
        assert "error" not in reply, (method, reply["error"])
        return reply["result"]

    def wait_event(self, method: str, timeout: float = 30) -> None:
        with self._lock:
            if not self._lock.wait_for(
                lambda: any(e["method"] == method for e in self.events), timeout=timeout
            ):
                raise TimeoutError(method)

    def close(self) -> None:
        try:
            self.send("Browser.close")
        except (TimeoutError, OSError):
            pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        os.close(self._to_w)


CHROMIUM = find_chromium()
needs_chromium = pytest.mark.skipif(
    CHROMIUM is None,
    reason="no Chromium binary (install Debian's `chromium` package to open the report in a "
    "real browser)",
)


@needs_chromium
def test_report_renders_in_a_real_browser_offline(out, tmp_path):
    assert CHROMIUM is not None
    with tempfile.TemporaryDirectory() as profile:
        browser = DevTools(CHROMIUM, profile)
        try:
            target = browser.send("Target.createTarget", url="about:blank")["targetId"]
            session = browser.send("Target.attachToTarget", targetId=target, flatten=True)[
                "sessionId"
            ]
            for domain in ("Page", "Network", "Runtime", "Log"):
                browser.send(f"{domain}.enable", session)
            browser.send(
                "Emulation.setDeviceMetricsOverride",
                session,
                width=1100,
                height=900,
                deviceScaleFactor=1,
                mobile=False,
            )
            url = (out / "report.html").resolve().as_uri()
            browser.send("Page.navigate", session, url=url)
            browser.wait_event("Page.loadEventFired")
            time.sleep(0.3)  # let late requests or errors show up
            probe = """JSON.stringify({
              timelineBars: document.querySelectorAll('#timeline g.leg rect').length,
              timelineWidth: document.querySelector('#timeline').getBoundingClientRect().width,
              vehicleBars: document.querySelectorAll('#timeline g[data-vehicle]').length,
              serviceBars: document.querySelectorAll('#timeline g[data-service]').length,
              land: document.querySelectorAll('#map path.land').length,
              places: document.querySelectorAll('#map g.place').length,
              mapHeight: document.querySelector('#map').getBoundingClientRect().height,
              loadBars: Array.from(document.querySelectorAll('svg.load g.bar'))
                .map(g => g.getAttribute('data-people')),
              groups: document.querySelectorAll('#groups tbody tr').length,
            })"""
            found = json.loads(
                browser.send("Runtime.evaluate", session, expression=probe, returnByValue=True)[
                    "result"
                ]["value"]
            )
            # the filter box, as a person types into it
            typed = """(() => { const i = document.getElementById('filter');
              i.value = 'left behind'; i.dispatchEvent(new Event('input'));
              return Array.from(document.querySelectorAll('#groups tbody tr'))
                .filter(r => r.style.display !== 'none')
                .map(r => r.dataset.group).join(','); })()"""
            shown = browser.send("Runtime.evaluate", session, expression=typed, returnByValue=True)[
                "result"
            ]["value"]
            shot = browser.send(
                "Page.captureScreenshot", session, format="png", captureBeyondViewport=True
            )
            (tmp_path / "report.png").write_bytes(base64.b64decode(shot["data"]))
            events = list(browser.events)
        finally:
            browser.close()
    assert found["timelineBars"] == 2 + 1 + 3 + 3 + 1  # van-1, coach-1, F003 own, gate, flight
    assert found["vehicleBars"] == 3 and found["serviceBars"] == 1
    assert found["timelineWidth"] > 500
    assert found["land"] > 10 and found["places"] == 5  # the depot has no position
    assert found["mapHeight"] > 200
    assert found["loadBars"] == ["5", "2"]
    assert found["groups"] == 5
    assert shown == "F004"
    requests = [
        e["params"]["request"]["url"] for e in events if e["method"] == "Network.requestWillBeSent"
    ]
    assert requests == [url], requests
    problems = [
        e["params"]
        for e in events
        if e["method"] == "Runtime.exceptionThrown"
        or (
            e["method"] == "Runtime.consoleAPICalled"
            and e["params"]["type"] in ("error", "warning")
        )
        or (
            e["method"] == "Log.entryAdded"
            and e["params"]["entry"]["level"] in ("error", "warning")
        )
    ]
    assert problems == []
    assert (tmp_path / "report.png").stat().st_size > 20_000


@needs_chromium
def test_report_pdf_printed_by_chromium(scenario, plan, tmp_path):
    paths = write_outputs(scenario, plan, tmp_path, redact=True)
    pdf = tmp_path / "report.pdf"
    assert pdf in paths
    data = pdf.read_bytes()
    assert data.startswith(b"%PDF") and len(data) > 20_000
    assert b"/Type /Page" in data or b"/Type/Page" in data
    if shutil.which("pdftotext"):  # poppler-utils, where installed: read the printed text
        text = subprocess.run(
            ["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True
        ).stdout
        assert "Evacuation plan: Coast exercise" in text
        assert "F004" in text and "02:00 MSK" in text
        assert not any(name in text for name in NAMES)


def test_report_pdf_drawn_without_a_browser(scenario, plan, tmp_path):
    pdf = draw_with_matplotlib(PlanView(scenario, plan, redact=True), tmp_path / "report.pdf")
    data = pdf.read_bytes()
    assert data.startswith(b"%PDF") and len(data) > 10_000
    assert data.count(b"/Type /Page\n") + data.count(b"/Type /Page ") >= 4 or b"/Count 4" in data
    assert all(name.encode() not in data for name in NAMES)


# --- a plan made by the solver ----------------------------------------------------------


def test_outputs_of_a_solved_plan_agree_with_it(tmp_path):
    from planner.check import check_plan
    from planner.model import SolveParameters, solve
    from planner.plan import plan_to_dict

    scenario = read_scenario(SOLVE / "handoff.yaml")
    plan = plan_to_dict(solve(scenario, SolveParameters(time_limit=20)), scenario)
    assert check_plan(scenario, plan) == []
    write_outputs(scenario, plan, tmp_path, printable=False)
    check_spreadsheet(tmp_path / "plan.xlsx", scenario, plan)
    check_csv(tmp_path, plan)
    check_calendars(tmp_path, scenario, plan)
    text = (tmp_path / "itineraries" / "F.md").read_text()
    assert "Cross border on foot" in text


def test_files_of_an_earlier_plan_are_removed(scenario, plan, tmp_path):
    write_outputs(scenario, plan, tmp_path, printable=False)
    assert (tmp_path / "run-sheets" / "coach-1.md").exists()
    later = json.loads(json.dumps(plan))
    later["vehicles"] = [v for v in later["vehicles"] if v["id"] != "coach-1"]
    for g in later["groups"][:2]:
        for leg in g["legs"]:
            if leg.get("vehicle") == "coach-1":
                leg["vehicle"] = "own"  # not a valid plan, but enough to move the coach away
    (tmp_path / "notes.md").write_text("kept")
    (tmp_path / "csv" / "mine.txt").write_text("kept")
    write_outputs(scenario, later, tmp_path, printable=False)
    assert not (tmp_path / "run-sheets" / "coach-1.md").exists()
    assert not (tmp_path / "calendars" / "vehicles" / "coach-1.ics").exists()
    assert (tmp_path / "run-sheets" / "van-1.md").exists()
    assert (tmp_path / "notes.md").exists() and (tmp_path / "csv" / "mine.txt").exists()


# --- within a time limit ----------------------------------------------------------------

ORDER = [
    "itineraries.md and itineraries/",
    "run-sheets/",
    "manifests/ and crossings/",
    "csv/",
    "report.html",
    "calendars/vehicles/",
    "calendars/groups/",
    "plan.xlsx",
    "report.pdf",
]


def test_without_a_deadline_nothing_is_left_out(scenario, plan, tmp_path):
    written = write_outputs_until(scenario, plan, tmp_path / "until", None, printable=False)
    assert written.skipped == []
    every = write_outputs(scenario, plan, tmp_path / "all", printable=False)
    assert [p.relative_to(tmp_path / "until") for p in written.paths] == [
        p.relative_to(tmp_path / "all") for p in every
    ]


def test_past_the_deadline_nothing_is_written_and_nothing_stale_stays(scenario, plan, tmp_path):
    write_outputs(scenario, plan, tmp_path, printable=False)
    (tmp_path / "report.pdf").write_bytes(b"%PDF- of an earlier plan")
    written = write_outputs_until(scenario, plan, tmp_path, time.monotonic() - 1.0)
    assert written.paths == []
    assert written.skipped == ORDER
    for name in ("itineraries.md", "plan.xlsx", "report.html", "report.pdf"):
        assert not (tmp_path / name).exists(), name
    for folder in ("itineraries", "run-sheets", "manifests", "csv", "calendars/groups"):
        assert list((tmp_path / folder).glob("*.*")) == [], folder


def test_an_output_that_would_not_finish_in_time_is_left_out(scenario, plan, tmp_path, monkeypatch):
    """The group calendars at an hour each would overrun the ten minutes given: they are
    left out, and the outputs after them, which fit, are written."""
    import planner.outputs as outputs

    monkeypatch.setitem(outputs.SECONDS_PER, "group calendar", 3600.0)
    written = write_outputs_until(
        scenario, plan, tmp_path, time.monotonic() + 600.0, printable=False
    )
    assert written.skipped == ["calendars/groups/"]
    names = {p.relative_to(tmp_path).as_posix() for p in written.paths}
    assert "plan.xlsx" in names and "calendars/vehicles/van-1.ics" in names
    assert not any(n.startswith("calendars/groups/") for n in names)
    assert not (tmp_path / "calendars" / "groups").exists()


def test_plan_names_the_outputs_left_out_and_how_to_write_them(tmp_path, monkeypatch):
    from typer.testing import CliRunner

    import planner.outputs as outputs
    from planner.cli import app

    monkeypatch.setitem(outputs.SECONDS_PER, "cell", 3600.0)  # plan.xlsx would take days
    scenario_path = str(DATA / "coast.yaml")
    (tmp_path / "plan.xlsx").write_bytes(b"of an earlier plan")
    result = CliRunner().invoke(
        app, ["plan", scenario_path, "-o", str(tmp_path), "--time-limit", "20"]
    )
    assert result.exit_code == 0, (result.output, result.exception)
    assert "Not written in the time limit: plan.xlsx." in result.output
    assert f"planner report {scenario_path} {tmp_path / 'plan.json'} -o {tmp_path}" in (
        result.output.replace("\n", "")
    )
    assert not (tmp_path / "plan.xlsx").exists()
    assert (tmp_path / "report.html").is_file() and (tmp_path / "itineraries.md").is_file()
    # names stay out of the outputs written later too
    redacted = CliRunner().invoke(
        app,
        ["plan", scenario_path, "-o", str(tmp_path), "--time-limit", "20", "--redact"],
    )
    assert redacted.exit_code == 0, (redacted.output, redacted.exception)
    assert f"-o {tmp_path} --redact" in redacted.output.replace("\n", "")


def test_the_live_line_ticks_and_shows_the_best_plan_so_far(monkeypatch):
    import io

    from rich.console import Console

    import planner.cli as cli

    monkeypatch.setattr(cli, "err", Console(file=io.StringIO(), force_terminal=True, width=200))
    line = cli._progress_line(time.monotonic() - 5.0)
    try:
        before = line._line().plain
        # exposure 45,279 against the bound 44,974.5: (45,279 - 44,974.5) / 45,279 = 0.67%
        line.report("exposure", 1.0, 45279.0, 44974.5)
        shown = line._line().plain
        line.report("evacuated", 2.0, 118.0, float("nan"))
        unbounded = line._line().plain
    finally:
        line.stop()
    assert before.endswith("s  planning...") and float(before.split()[0]) >= 5.0
    assert shown.endswith("s  exposure: best so far 45,279.00, bound 44,974.50, gap 0.7%")
    assert float(shown.split()[0]) >= float(before.split()[0])
    assert unbounded.endswith("s  evacuated: best so far 118.00")


def test_a_machine_slower_than_the_measured_pace_leaves_out_more(
    scenario, plan, tmp_path, monkeypatch
):
    """The itineraries take a second here, where the pace says a millionth of one: every
    estimate after them grows a million times, and only what then fits in a minute is
    written (the run sheets, manifests and report.html, paced here in microseconds)."""
    import planner.outputs as outputs

    real = outputs.write_itineraries

    def slow(view, out):
        time.sleep(1.0)
        return real(view, out)

    monkeypatch.setattr(outputs, "write_itineraries", slow)
    monkeypatch.setitem(outputs.SECONDS_PER, "group", 1e-6 / len(plan["groups"]))
    monkeypatch.setitem(outputs.SECONDS_PER, "vehicle", 1e-12)
    written = write_outputs_until(scenario, plan, tmp_path, time.monotonic() + 60.0)
    names = {p.relative_to(tmp_path).as_posix() for p in written.paths}
    assert "itineraries.md" in names and "run-sheets/van-1.md" in names
    assert "manifests/RESCUE-1.md" in names and "report.html" in names
    assert written.skipped == [n for n in ORDER[3:] if n != "report.html"]


def test_the_summary_cuts_long_reasons_short_between_words():
    from planner.outputs.view import shortened

    flights = ", ".join(f"HX{n} (180 of 180 seats taken)" for n in range(100, 110))
    # kept as it is up to the limit
    assert shortened("no seats left", limit=60) == "no seats left"
    # the first two thirds of the limit cut after a word (37 characters), then the last
    # clause when it fits in the rest (20 of 23)
    assert (
        shortened(f"flights full: {flights}; it waits at the port", limit=60)
        == "flights full: HX100 (180 of 180 seats [...] it waits at the port"
    )
    # no clause: the last 23 characters, from the first whole word
    assert (
        shortened(f"flights full: {flights}", limit=60)
        == "flights full: HX100 (180 of 180 seats [...] of 180 seats taken)"
    )


def test_the_report_opens_a_long_reason_on_a_click(scenario, plan):
    from planner.outputs.report import report_html
    from planner.outputs.view import shortened

    long = "no flight had room: " + ", ".join(f"HX{n} (180 of 180 seats taken)" for n in range(40))
    left = next(g["id"] for g in plan["groups"] if g["status"] != "evacuated")
    data = json.loads(json.dumps(plan))
    for g in data["groups"]:
        if g["id"] == left:
            g["reason"] = long
    html = report_html(PlanView(scenario, data))
    assert f'<details class="reason"><summary>{shortened(long)}</summary>{long}</details>' in html
    # a short reason stays as it is
    short = next(g for g in plan["groups"] if g["status"] != "evacuated" and g["id"] != left)
    assert f"<td>{short['reason']}</td>" in html


def test_the_summary_writes_objectives_with_thousands_separators():
    from planner.cli import _number

    assert [_number(v) for v in (118, 894.0, 14836, 45279.5, 1203.25, 1001117.0, 0, None)] == [
        "118",
        "894",
        "14,836",
        "45,279.5",
        "1,203.25",
        "1,001,117",
        "0",
        "-",
    ]
