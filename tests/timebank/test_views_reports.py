"""Figures, CSV reports and the service certificate: what each person sees there (who may
open what is in test_views_permissions)."""

from __future__ import annotations

import csv
import io
import re
import xml.etree.ElementTree as ET
from datetime import date

import pytest

from extensions import db
from tests.conftest import login
from tests.timebank.support import key, top_up
from timebank.clock import local_today
from timebank.models import Transfer
from timebank.transfers import reverse_transfer
from timebank.visits import confirm_visit, log_visit

TODAY = local_today()


def visit(volunteer, recipient, category, minutes, *, by=None, day=TODAY):
    record = log_visit(
        volunteer=volunteer,
        recipient=recipient,
        category=category,
        service_date=day,
        minutes=minutes,
        entered_by=volunteer,
        idempotency_key=key(),
        today=day,
    )
    confirm_visit(record, by=by or recipient)
    return record


pytestmark = pytest.mark.usefixtures("english_pages")


@pytest.fixture
def other_elder(make_member, other_community):
    return make_member("外老人", age=90, community=other_community)


@pytest.fixture
def scene(people, other_elder):
    """The volunteer served the elder twice (one confirmed by the coordinator for her),
    and an elder of the other community was served too."""
    visit(people["volunteer"], people["elder"], "meal", 60)
    visit(people["volunteer"], people["elder"], "cleaning", 90, by=people["coordinator"])
    visit(people["volunteer"], other_elder, "haircut", 30)
    db.session.commit()
    return {"volunteer": people["volunteer"].id}


def chart_texts(page: str, chart_id: str) -> list[str]:
    """The words of a chart (its HTML text lines), read from its well-formed markup."""
    start = page.index(f'<div class="chart" id="{chart_id}"')
    depth = 0
    for tag in re.finditer(r"<(/?)div\b", page[start:]):
        depth += -1 if tag.group(1) else 1
        if depth == 0:
            end = start + page[start:].index(">", tag.end()) + 1
            break
    root = ET.fromstring(page[start:end])
    return [e.text for e in root.iter() if e.get("class") == "chart__text"]


def test_figures_page_shows_charts_and_the_same_numbers_in_tables(client, people, scene):
    top_up(people["volunteer"], 30)
    login(client, people["coordinator"])
    page = client.get("/reports/figures").get_data(as_text=True)
    assert "Figures for 桂花新村社区" in page
    assert re.search(r'data-testid="active-volunteers">1<', page)
    assert re.search(r'data-testid="elders-served">1<', page)  # not the other community's
    texts = chart_texts(page, "chart-monthly")
    this_month = next(t for t in texts if t.endswith("2 h 30 min"))
    assert this_month.startswith(TODAY.strftime("%b"))
    assert "Meal help" in texts and "Cleaning" in texts and "Haircut" not in texts
    table = page[page.index('data-testid="monthly-table"') :]
    assert '<th scope="col" class="num">Cleaning</th>' in table
    assert re.search(r'<td class="num" data-label="Total">2 h 30 min</td>', table)
    # months with nothing confirmed take no row, as they take no bar
    rows = table[: table.index("</table>")].count('<th scope="row">')
    assert rows == 2  # this month and the total
    texts = chart_texts(page, "chart-liability")
    # The volunteer (62) earned 60 + 90 here and 30 in the other community, plus a 30 top-up.
    assert "55–64: 3 h 30 min" in texts
    assert "Guarantee account: −3 h" in texts  # paid 150 for the elder, and the top-up
    assert "All members: 3 h 30 min" in texts


def test_street_admin_sees_every_community_side_by_side(client, people, scene):
    login(client, people["street_admin"])
    page = client.get("/reports/figures").get_data(as_text=True)
    assert "Figures for the street (2 communities)" in page
    breakdown = page[page.index('data-testid="breakdown-table"') :]
    assert "桂花新村社区" in breakdown and "金狮河沿社区" in breakdown
    assert re.search(r'data-testid="elders-served">2<', page)


def test_a_bad_period_on_the_figures_page_says_so(client, people, scene):
    login(client, people["coordinator"])
    response = client.get("/reports/figures?start=2026-05-02&end=2026-05-01")
    assert response.status_code == 400
    assert "must not be before" in response.get_data(as_text=True)


def read_csv(response) -> list[list[str]]:
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    text = response.get_data().decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:])))


def test_visits_csv_says_who_entered_and_how_each_visit_was_confirmed(client, people, scene):
    called = log_visit(
        volunteer=people["volunteer"],
        recipient=people["elder"],
        category="errands",
        service_date=TODAY,
        minutes=20,
        entered_by=people["coordinator"],
        idempotency_key=key(),
    )
    confirm_visit(called, by=people["coordinator"], method="callback")
    db.session.commit()
    login(client, people["coordinator"])
    rows = read_csv(client.get("/reports/export.csv?report=visits"))
    header, lines = rows[0], rows[1:]
    assert header[:3] == ["Visit number", "Date", "Kind of service"]
    by_kind = {line[2]: dict(zip(header, line, strict=True)) for line in lines}
    # The other community's haircut is not here.
    assert set(by_kind) == {"Meal help", "Cleaning", "Errands"}
    meal, cleaning = by_kind["Meal help"], by_kind["Cleaning"]
    assert meal["Minutes"] == "60" and meal["Hours"] == "1.00" and meal["Status"] == "Confirmed"
    assert meal["Volunteer"] == "李志愿" and meal["Person served"] == "王秀英"
    assert meal["How it was decided"] == "By the person served"
    assert cleaning["Decided by"] == "张社工"
    assert cleaning["How it was decided"] == "By a coordinator on their behalf"
    errands = by_kind["Errands"]
    assert errands["Entered by"] == "张社工 on behalf of 李志愿"
    assert errands["How it was decided"] == "By a coordinator's call-back"


def test_street_admin_exports_the_whole_street(client, people, scene):
    login(client, people["street_admin"])
    rows = read_csv(client.get("/reports/export.csv?report=visits"))
    assert len(rows) == 1 + 3


def test_transfers_csv_lists_both_sides_and_reversals(client, people, scene):
    entry = top_up(people["volunteer"], 15)
    db.session.commit()
    reverse_transfer(
        db.session.get(Transfer, entry),
        by=people["coordinator"],
        reason="错了",
        idempotency_key=key(),
    )
    db.session.commit()
    login(client, people["coordinator"])
    rows = read_csv(client.get("/reports/export.csv?report=transfers"))
    header, lines = rows[0], [dict(zip(rows[0], r, strict=True)) for r in rows[1:]]
    assert header[0] == "Entry number"
    kinds = [line["Kind"] for line in lines]
    # Hours earned in the other community reach this community's volunteer: listed too.
    assert kinds.count("Service") == 3 and "Reversal" in kinds
    service = next(line for line in lines if line["Kind"] == "Service")
    assert service["From"] == "桂花新村社区 guarantee account" and service["To"] == "李志愿"
    reversal = next(line for line in lines if line["Kind"] == "Reversal")
    assert reversal["Reverses entry"] == str(entry)
    assert reversal["Entered by"] == "张社工"


def test_members_csv_has_age_bands_flags_and_balances(client, people, scene, make_member):
    make_member('=HYPERLINK("http://x")', age=None)
    db.session.commit()
    login(client, people["coordinator"])
    rows = read_csv(client.get("/reports/export.csv?report=members"))
    lines = {r[1]: dict(zip(rows[0], r, strict=True)) for r in rows[1:]}
    assert lines["李志愿"]["Age band"] == "55–64"
    assert lines["李志愿"]["Volunteer"] == "Yes"
    assert lines["李志愿"]["Balance (minutes)"] == "180"
    assert lines["王秀英"]["Age band"] == "75 and over"
    assert "外老人" not in lines and "张社工" not in lines  # other community; staff
    # A name that would run as a spreadsheet formula is written as text.
    assert '\'=HYPERLINK("http://x")' in lines
    assert lines['\'=HYPERLINK("http://x")']["Age band"] == "Birth date unknown"


def test_an_unknown_report_or_bad_dates_are_400(client, people):
    login(client, people["coordinator"])
    assert client.get("/reports/export.csv?report=passwords").status_code == 400
    bad = "/reports/export.csv?report=visits&start=2026-02-02&end=2026-02-01"
    assert client.get(bad).status_code == 400


def test_certificate_shows_hours_by_kind_and_total(client, people, scene):
    login(client, people["volunteer"])
    volunteer = scene["volunteer"]
    page = client.get(f"/reports/certificates/{volunteer}").get_data(as_text=True)
    assert "Volunteer service certificate" in page
    assert re.search(r'data-testid="certificate-total"><strong>3 h</strong>', page)
    for kind, amount in (("Meal help", "1 h"), ("Cleaning", "1 h 30 min"), ("Haircut", "30 min")):
        assert f'<th scope="row">{kind}</th><td class="num" data-label="Time">{amount}</td>' in page
    community = people["volunteer"].community_id
    start = date(TODAY.year, 1, 1)
    assert f"LL-{community:03d}-{volunteer:06d}-{start:%Y%m%d}-{TODAY:%Y%m%d}" in page
    assert "Issued by 桂花新村社区" in page
    assert '<style media="print">' in page and "no-print" in page


def test_certificate_for_a_period_without_service_says_so(client, people, scene):
    login(client, people["coordinator"])
    page = client.get(
        f"/reports/certificates/{scene['volunteer']}?start=2020-01-01&end=2020-12-31"
    ).get_data(as_text=True)
    assert "No confirmed service in this period." in page
    assert "20200101-20201231" in page


def test_coordinator_finds_a_certificate_by_phone(client, people, scene):
    login(client, people["coordinator"])
    phone = people["volunteer"].phone
    response = client.get(f"/reports/certificate?volunteer={phone}&start=2026-01-01")
    assert response.status_code == 302
    assert (
        f"/reports/certificates/{scene['volunteer']}?start=2026-01-01"
        in response.headers["Location"]
    )


def test_reports_index_shows_each_person_what_they_may_open(client, people):
    login(client, people["volunteer"])
    page = client.get("/reports/").get_data(as_text=True)
    assert f"/reports/certificates/{people['volunteer'].id}" in page
    assert "/reports/export.csv" not in page and "/reports/figures" not in page
    login(client, people["coordinator"])
    page = client.get("/reports/").get_data(as_text=True)
    assert "/reports/export.csv" in page and "/reports/figures" in page
    assert page.count("button--primary") == 1
    assert 'href="/reports/"' in client.get("/desk/").get_data(as_text=True)
