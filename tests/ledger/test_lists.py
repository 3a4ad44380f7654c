"""Reading every ICE list format, on real snapshot files."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from pathlib import Path

import pytest

from sharemap.errors import InputError
from sharemap.kb.model import ListKind, Model287g
from sharemap.ledger.lists import date_from_name, model_from_text, read_list, repair_date, unwrap_url


def test_newest_workbook_counts(lists_dir: Path) -> None:
    parsed = read_list(lists_dir / "participatingAgencies05182026am.xlsx")
    assert parsed.kind is ListKind.PARTICIPATING
    assert parsed.captured == dt.datetime(2026, 5, 18, 9, 0)
    assert parsed.source_format == "ICE workbook"
    assert len(parsed.rows) == 1843
    models = Counter(r.model for r in parsed.rows)
    assert models == {Model287g.JEM: 182, Model287g.TFM: 1162, Model287g.WSO: 499}
    assert len({(r.state, r.agency) for r in parsed.rows}) == 1557
    assert len({r.state for r in parsed.rows}) == 40  # 38 states, Guam and the Northern Mariana Islands
    assert {"GU", "MP"} <= {r.state for r in parsed.rows}
    assert "ADDENDUM" in parsed.columns and "COUNTY" in parsed.columns
    autauga = [r for r in parsed.rows if r.agency.startswith("Autauga County")]
    assert {r.model for r in autauga} == set(Model287g)
    assert all(r.agency == r.agency.strip() for r in parsed.rows)  # trailing spaces removed
    assert autauga[0].county == "Autauga County"
    assert any(r.addendum_url for r in parsed.rows)


def test_web_capture_table_unwraps_archive_links(lists_dir: Path) -> None:
    parsed = read_list(lists_dir / "ParticipatingEntities-20210113002027.xlsx")
    assert parsed.source_format == "web capture table"
    assert parsed.saved_at is None  # the collector's save time says nothing about ICE's list
    etowah = next(r for r in parsed.rows if r.agency.startswith("Etowah"))
    assert etowah.signed == dt.date(2016, 6, 8)
    assert etowah.moa_url == "https://www.ice.gov/doclib/287gMOA/287gJEM_EtowahCoAl2016-06-18.pdf"
    assert etowah.state == "AL" and etowah.model is Model287g.JEM


def test_2025_workbook_reads_hyperlinks(lists_dir: Path) -> None:
    parsed = read_list(lists_dir / "participatingAgencies-20250221214937.xlsx")
    kodiak = next(r for r in parsed.rows if r.agency == "Kodiak Police Department")
    assert kodiak.ice_type == "Municipality"
    assert kodiak.moa_url == "https://www.ice.gov/doclib/287gMOA/287gWSO_KodiakAk2020-07-20.pdf"
    assert kodiak.signed == dt.date(2020, 7, 20)


def test_misdated_january_file_is_moved_a_year(lists_dir: Path) -> None:
    parsed = read_list(lists_dir / "participatingAgencies01052025pm.xlsx")
    assert parsed.name_date == dt.date(2025, 1, 5)
    assert parsed.captured.date() == dt.date(2026, 1, 5)
    assert parsed.date_source == "file name, year corrected from content"
    assert any("dated 2026-01-05 instead" in a for a in parsed.anomalies)
    # Outlook safe-links are unwrapped to ICE's own address
    assert all("safelinks" not in (r.moa_url or "") for r in parsed.rows)
    assert any((r.moa_url or "").startswith("https://www.ice.gov/doclib/287gMOA/") for r in parsed.rows)


def test_typo_in_file_name_date(lists_dir: Path) -> None:
    parsed = read_list(lists_dir / "participatingAgencies090022025am.xlsx")
    assert parsed.captured == dt.datetime(2025, 9, 2, 9, 0)
    assert any("typo" in a for a in parsed.anomalies)


def test_link_pending_and_copy_suffix(lists_dir: Path) -> None:
    parsed = read_list(lists_dir / "participatingAgencies06112025pm copy.xlsx")
    pending_links = [r for r in parsed.rows if r.moa_text and r.moa_text.lower() == "link pending"]
    assert pending_links and all(r.moa_url is None for r in pending_links)
    assert any("copy" in a for a in parsed.anomalies)
    assert parsed.captured > dt.datetime(2025, 6, 11, 17, 0)  # ordered after the plain pm file


def test_pending_without_date_uses_workbook_save_time(lists_dir: Path) -> None:
    parsed = read_list(lists_dir / "pendingAgencies.xlsx")
    assert parsed.kind is ListKind.PENDING
    assert parsed.captured.date() == dt.date(2025, 2, 20)
    assert parsed.date_source.startswith("workbook save time")
    assert len(parsed.rows) == 41


def test_empty_pending_list_is_an_anomaly_not_an_error(lists_dir: Path) -> None:
    parsed = read_list(lists_dir / "pendingAgencies11062025pm.xlsx")
    assert parsed.rows == [] and any("no rows" in a for a in parsed.anomalies)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("participatingAgencies-20250221214937.xlsx", dt.datetime(2025, 2, 21, 21, 49, 37)),
        ("participatingAgencies11122025.xlsx", dt.datetime(2025, 11, 12, 12, 0)),
        ("participatingAgencies12042025pm2.xlsx", dt.datetime(2025, 12, 4, 17, 2)),
        ("participatingAgencies11202025mid.xlsx", dt.datetime(2025, 11, 20, 12, 0)),
        # late-2026 names drift: MMDDYY, a "287g" prefix, the singular, an hour glued to the date
        ("287gParticipatingAgencies091526pm.xlsx", dt.datetime(2026, 9, 15, 17, 0)),
        ("ParticipatingAgency091826am.xlsx", dt.datetime(2026, 9, 18, 9, 0)),
        ("participatingAgencies060920263pm.xlsx", dt.datetime(2026, 6, 9, 15, 0)),
    ],
)
def test_dates_from_file_names(name: str, expected: dt.datetime) -> None:
    assert date_from_name(name)[0] == expected


def test_text_repairs() -> None:
    assert model_from_text("Warrant Services Officer") is Model287g.WSO
    assert model_from_text("Jail Enforcment Model ") is Model287g.JEM
    assert model_from_text("Task Force Officer") is Model287g.TFM
    assert model_from_text("Detention contract") is None
    assert repair_date("05/082025") == dt.date(2025, 5, 8)
    assert repair_date("7/72025") == dt.date(2025, 7, 7)
    assert unwrap_url("link pending") is None
    assert (
        unwrap_url(
            "https://gcc02.safelinks.protection.outlook.com/?url=https%3A%2F%2Fwww.ice.gov%2Fa.pdf&data=x"
        )
        == "https://www.ice.gov/a.pdf"
    )


def test_bad_inputs_name_the_file(tmp_path: Path, lists_dir: Path) -> None:
    empty = tmp_path / "participatingAgencies01012026am.xlsx"
    empty.write_bytes(b"")
    with pytest.raises(InputError, match="file is empty"):
        read_list(empty)

    corrupt = tmp_path / "participatingAgencies01022026am.xlsx"
    corrupt.write_bytes((lists_dir / "participatingAgencies05182026am.xlsx").read_bytes()[:5000])
    with pytest.raises(InputError, match=str(corrupt.name)):
        read_list(corrupt)

    latin1 = tmp_path / "participatingAgencies01032026am.csv"
    latin1.write_bytes(
        "STATE,LAW ENFORCEMENT AGENCY,SUPPORT TYPE\nPUERTO RICO,Polic\xeda de PR,Task Force Model\n".encode(
            "latin-1"
        )
    )
    with pytest.raises(InputError, match=r"not UTF-8.*line 2") as err:
        read_list(latin1)
    assert err.value.file == str(latin1)

    no_state = tmp_path / "participatingAgencies01042026am.csv"
    no_state.write_text(
        "LAW ENFORCEMENT AGENCY,SUPPORT TYPE,SIGNED\nKodiak Police Department,Task Force Model,2025-01-01\n"
    )
    with pytest.raises(InputError, match="no STATE column") as err:
        read_list(no_state)
    assert err.value.field == "STATE"


def test_utf8_csv_export_reads_like_the_workbook(tmp_path: Path) -> None:
    csv_file = tmp_path / "participatingAgencies02012026am.csv"
    csv_file.write_text(
        "STATE,LAW ENFORCEMENT AGENCY,TYPE,COUNTY,SUPPORT TYPE,SIGNED,MOA\n"
        "TEXAS,Harrison County Sheriff’s Office ,County,Harrison County,"
        "Warrant Service Officer,3/4/2025,link pending\n"
        ",,,,,,\n",
        encoding="utf-8",
    )
    parsed = read_list(csv_file)
    assert parsed.source_format == "csv" and parsed.blank_rows == 1
    (row,) = parsed.rows
    assert (row.state, row.agency, row.model, row.signed) == (
        "TX",
        "Harrison County Sheriff’s Office",
        Model287g.WSO,
        dt.date(2025, 3, 4),
    )


def test_misspelt_new_hampshire_is_read_and_reported(lists_dir: Path, tmp_path: Path) -> None:
    import openpyxl

    wb = openpyxl.load_workbook(lists_dir / "participatingAgencies05182026am.xlsx")
    ws = wb.active
    header = [str(c.value or "").strip().upper() for c in ws[1]]
    col = header.index("STATE") + 1
    changed = [
        r for r in range(2, ws.max_row + 1) if str(ws.cell(r, col).value).strip().upper() == "NEW HAMPSHIRE"
    ]
    for r in changed:
        ws.cell(r, col).value = "New Hamsphire"  # as on ICE's lists of July to October 2026
    target = tmp_path / "participatingAgencies10092026.xlsx"
    wb.save(target)
    parsed = read_list(target)
    assert changed and sum(r.state == "NH" for r in parsed.rows) == len(changed)
    assert any(p.field == "STATE" and "Hamsphire" in p.value for p in parsed.problems)
