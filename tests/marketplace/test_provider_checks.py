"""Making a childcare (托育) or meal (助餐) provider bookable needs the licence number and
the checklist in person, recorded with the decision (a row, the audit entry, the
provider's page for staff); housekeeping alone needs none, and refusing never does."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from community.audit import Action
from community.audit_models import AuditEntry
from community.models import Role
from extensions import db
from marketplace import providers
from marketplace.errors import InvalidInput
from marketplace.models import Provider, ProviderCheck, ProviderStatus
from marketplace.provider_checks import ProviderChecks, clean_licence_number, needs_checks
from tests.conftest import csrf_token, login

CHECKS = ProviderChecks("苏托备2026-031", True, True, True)
FORM = {
    "licence_number": "苏托备2026-031",
    "licence_seen": "y",
    "health_certificates_seen": "y",
    "premises_checked": "y",
}


def checks_written() -> int:
    return db.session.scalar(select(func.count(ProviderCheck.id)))


def decisions_logged() -> int:
    return db.session.scalar(
        select(func.count(AuditEntry.id)).where(AuditEntry.action == Action.PROVIDER_DECIDED)
    )


def status_of(provider: Provider) -> str:
    db.session.expire_all()
    return db.session.get(Provider, provider.id).status


@pytest.fixture
def childcare(make_provider):
    return make_provider("小橘子托育", status=ProviderStatus.APPLIED, categories="childcare")


@pytest.fixture
def canteen(make_provider, make_member):
    owner = make_member("食堂老板", age=50)
    return make_provider("长者食堂", owner=owner, status=ProviderStatus.APPLIED, categories="meals")


@pytest.fixture
def cleaner(make_provider, make_member):
    owner = make_member("保洁老板", age=50)
    return make_provider(
        "好帮手家政", owner=owner, status=ProviderStatus.APPLIED, categories="housekeeping"
    )


# --- the rule (services) ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("categories", "needed"),
    [
        ("childcare", True),
        ("meals", True),
        ("housekeeping,meals", True),
        ("housekeeping", False),
    ],
)
def test_which_providers_need_checks(make_provider, categories, needed):
    assert needs_checks(make_provider(categories=categories)) is needed


@pytest.mark.parametrize("kind", ["childcare", "canteen"])
def test_childcare_and_meals_are_not_verified_without_the_checks(
    request, kind, coordinator, english
):
    provider = request.getfixturevalue(kind)
    with pytest.raises(InvalidInput, match="check"):
        providers.verify_provider(provider.id, by=coordinator)
    assert provider.status == ProviderStatus.APPLIED
    assert checks_written() == 0 and decisions_logged() == 0


@pytest.mark.parametrize(
    "missing", ["licence_seen", "health_certificates_seen", "premises_checked"]
)
def test_every_point_of_the_checklist_must_be_ticked(childcare, coordinator, missing, english):
    values = {
        "licence_number": CHECKS.licence_number,
        "licence_seen": True,
        "health_certificates_seen": True,
        "premises_checked": True,
    }
    partial = ProviderChecks(**{**values, missing: False})
    with pytest.raises(InvalidInput, match="Tick all three checks"):
        providers.verify_provider(childcare.id, by=coordinator, checks=partial)
    assert childcare.status == ProviderStatus.APPLIED
    assert checks_written() == 0


def test_the_licence_number_is_required_even_with_every_box_ticked(childcare, coordinator, english):
    with pytest.raises(InvalidInput, match="licence number"):
        providers.verify_provider(
            childcare.id, by=coordinator, checks=ProviderChecks("  ", True, True, True)
        )
    assert childcare.status == ProviderStatus.APPLIED


def test_verifying_records_the_checks_with_the_decision(childcare, coordinator):
    providers.verify_provider(childcare.id, by=coordinator, checks=CHECKS)
    assert childcare.status == ProviderStatus.VERIFIED
    (row,) = db.session.scalars(select(ProviderCheck))
    assert (row.provider_id, row.checked_by_id, row.decision) == (
        childcare.id,
        coordinator.id,
        "verify",
    )
    assert row.licence_number == "苏托备2026-031"
    assert row.licence_seen and row.health_certificates_seen and row.premises_checked
    entry = db.session.scalar(
        select(AuditEntry).where(AuditEntry.action == Action.PROVIDER_DECIDED)
    )
    after = json.loads(entry.after)
    assert after["licence_number"] == "苏托备2026-031"
    assert after["licence_seen"] is after["health_certificates_seen"] is True
    assert after["premises_checked"] is True


def test_housekeeping_is_verified_without_checks(cleaner, coordinator):
    providers.verify_provider(cleaner.id, by=coordinator)
    assert cleaner.status == ProviderStatus.VERIFIED
    assert checks_written() == 0
    entry = db.session.scalar(
        select(AuditEntry).where(AuditEntry.action == Action.PROVIDER_DECIDED)
    )
    assert json.loads(entry.after) == {"decision": "verify", "status": "verified", "reason": ""}


def test_turning_down_needs_no_checks(childcare, coordinator):
    providers.reject_provider(childcare.id, by=coordinator, reason="执照过期")
    assert childcare.status == ProviderStatus.REJECTED
    assert checks_written() == 0


def test_reinstating_a_suspended_canteen_needs_the_checks_again(canteen, coordinator, english):
    providers.verify_provider(canteen.id, by=coordinator, checks=CHECKS)
    providers.suspend_provider(canteen.id, by=coordinator, reason="食物中毒投诉")
    with pytest.raises(InvalidInput):
        providers.reinstate_provider(canteen.id, by=coordinator)
    assert canteen.status == ProviderStatus.SUSPENDED
    providers.reinstate_provider(
        canteen.id, by=coordinator, checks=ProviderChecks("JY13205080001", True, True, True)
    )
    assert canteen.status == ProviderStatus.VERIFIED
    assert [
        r.decision for r in db.session.scalars(select(ProviderCheck).order_by(ProviderCheck.id))
    ] == [
        "verify",
        "reinstate",
    ]


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("91320508MA1P0001", "91320508MA1P0001"),
        ("食品经营许可证 JY13205080001", "食品经营许可证 JY13205080001"),
        ("  苏托备２０２６－０３１ ", "苏托备2026-031"),  # full-width digits made plain
        ("苏（2026）托备 031号", "苏(2026)托备 031号"),
    ],
)
def test_licence_numbers_as_printed_are_accepted(typed, stored):
    assert clean_licence_number(typed) == stored


@pytest.mark.parametrize(
    "typed",
    ["", "   ", "12", "A" * 41, "1" * 10_000, "JY1320\x0050800", "JY<script>1", "没有编号"],
    ids=["empty", "blank", "short", "long", "huge", "NUL", "markup", "no digits"],
)
def test_unreadable_licence_numbers_are_refused(typed, english):
    with pytest.raises(InvalidInput, match="licence"):
        clean_licence_number(typed)


# --- the decision page (views) --------------------------------------------------------------


def _decide(client, provider, action, data):
    token = csrf_token(client, f"/provider/review/{provider.id}")
    return client.post(
        f"/provider/review/{provider.id}/{action}", data={"csrf_token": token, **data}
    )


def test_the_decision_page_asks_for_the_checks_for_childcare_only(
    client, coordinator, childcare, cleaner, english_pages
):
    login(client, coordinator)
    page = client.get(f"/provider/review/{childcare.id}").get_data(as_text=True)
    for name in FORM:
        assert f'name="{name}"' in page
    assert "Staff" in page or "health certificate" in page
    assert childcare.licence_number in page  # what the applicant wrote, to compare
    plain = client.get(f"/provider/review/{cleaner.id}").get_data(as_text=True)
    assert 'name="licence_seen"' not in plain
    assert f"/provider/review/{cleaner.id}/verify" in plain


def test_the_checklist_reads_in_chinese(client, coordinator, childcare):
    login(client, coordinator)
    page = client.get(f"/provider/review/{childcare.id}").get_data(as_text=True)
    assert "我看过每位员工有效的健康证" in page
    assert "上门核查" in page


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"licence_number": ""}, "Enter the licence number"),
        ({"licence_number": "9" * 5000}, "4 to 40 characters"),
        ({"licence_number": "JY<b>12345</b>"}, "may have letters"),
        ({"premises_checked": ""}, "Tick all three checks"),
        ({"licence_seen": "", "health_certificates_seen": ""}, "Tick all three checks"),
    ],
    ids=["empty", "huge", "markup", "one unticked", "two unticked"],
)
def test_bad_checks_are_refused_with_a_clear_message_and_nothing_written(
    client, coordinator, childcare, english_pages, change, message
):
    login(client, coordinator)
    data = {key: value for key, value in {**FORM, **change}.items() if value}
    response = _decide(client, childcare, "verify", data)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert status_of(childcare) == ProviderStatus.APPLIED
    assert checks_written() == 0 and decisions_logged() == 0


def test_nul_bytes_in_the_licence_number_are_refused(client, coordinator, childcare, english_pages):
    login(client, coordinator)
    response = _decide(client, childcare, "verify", {**FORM, "licence_number": "JY123\x00456"})
    assert response.status_code == 400
    assert "cannot be read" in response.get_data(as_text=True)
    assert status_of(childcare) == ProviderStatus.APPLIED
    assert checks_written() == 0 and decisions_logged() == 0


def test_a_complete_checklist_verifies_and_the_page_shows_it_to_staff(
    client, coordinator, childcare, english_pages
):
    login(client, coordinator)
    response = _decide(client, childcare, "verify", FORM)
    assert response.status_code == 302
    assert status_of(childcare) == ProviderStatus.VERIFIED
    page = client.get(f"/provider/review/{childcare.id}").get_data(as_text=True)
    shown = page.split('data-testid="provider-check"')[1].split("</dd>")[0]
    assert "苏托备2026-031" in shown
    assert coordinator.display_name in shown
    assert "Staff health certificates seen: Yes" in shown


def test_housekeeping_is_verified_in_one_step(client, coordinator, cleaner):
    login(client, coordinator)
    assert _decide(client, cleaner, "verify", {}).status_code == 302
    assert status_of(cleaner) == ProviderStatus.VERIFIED
    assert checks_written() == 0


def test_the_audit_page_reads_the_checks_in_words(
    client, coordinator, childcare, make_member, english_pages
):
    admin = make_member("街道管理员", age=45, role=Role.STREET_ADMIN)
    providers.verify_provider(childcare.id, by=coordinator, checks=CHECKS)
    db.session.commit()
    login(client, admin)
    page = client.get("/admin/audit").get_data(as_text=True)
    assert "Licence number read on the licence" in page
    assert "苏托备2026-031" in page
    assert "Staff health certificates seen" in page
    assert "Premises checked" in page
    assert "health_certificates_seen" not in page  # never the stored key
