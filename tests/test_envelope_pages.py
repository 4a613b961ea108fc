"""The envelope's pages over real HTTP, signed in as a browser is (session cookie and CSRF
token), on SQLite and PostgreSQL. The scene is the one of tests/test_envelope.py; what each
page shows is worked out there by hand (a Patriot battery package at 40%, limited by its
interceptors: 24 of 60 in the last 3 months)."""

from __future__ import annotations

import re
from collections.abc import Iterator

import httpx
import pytest

from tests.conftest import Delegations
from tests.liveserver import LiveServer
from tests.platform import TestPlatform as Context
from tests.test_council_pages import Browser, _forms, _text
from tests.test_envelope import Scene, add_items


class Signed(dict[str, Browser]):
    """Browsers signed in as the seeded users, each opened when first asked for."""

    def __init__(self, server: LiveServer) -> None:
        super().__init__()
        self.server = server

    def __missing__(self, username: str) -> Browser:
        self[username] = Browser(self.server, username)
        return self[username]


@pytest.fixture
def browsers(server: LiveServer) -> Iterator[Signed]:
    signed = Signed(server)
    yield signed
    for b in signed.values():
        b.client.close()


@pytest.fixture
def scene(seeded: Context, api: Delegations) -> Scene:
    return Scene(seeded, api)


def _read(page: httpx.Response) -> str:
    """The page's text as read: no space left before a comma where a tag closed."""
    return _text(page).replace(" ,", ",")


def _redirected(response: httpx.Response, start: str) -> str:
    assert response.status_code == 303, _text(response)[:2000]
    location: str = response.headers["location"]
    assert location.startswith(start), location
    return location


def test_before_any_package_the_page_says_so(browsers: dict[str, Browser]) -> None:
    page = browsers["ukr"].get("/envelope")
    assert page.status_code == 200
    assert "No capability package is defined yet" in _text(page)
    assert 'href="/capability-packages/new"' in page.text
    member = browsers["deu"].get("/envelope")
    assert "The partner or the secretariat defines them." in _text(member)
    assert 'href="/capability-packages/new"' not in member.text
    assert 'href="/envelope" aria-current="page"' in member.text


def test_the_envelope_page_names_the_limiting_component(
    browsers: dict[str, Browser], scene: Scene
) -> None:
    page = browsers["sec"].get("/envelope")
    text = _text(page)
    row = re.search(r'<tr data-package="patriot-battery">(.*?)</tr>', page.text, re.S)
    assert row is not None
    cells = _text(httpx.Response(200, text=row.group(1)))
    assert "Patriot battery Air defence 40% 0 of 2" in cells
    assert (
        "limited by munitions (PAC-3 MSE interceptor): 24 of 60 missiles in the last 3 months"
        in cells
    )
    area = re.search(r'<tr data-area="air-defence">(.*?)</tr>', page.text, re.S)
    assert area is not None
    assert _text(httpx.Response(200, text=area.group(1))).split() == ["Air", "defence", "1", "40%"]
    assert "These figures count only the deliveries of offers your delegation may see" in text
    assert 'class="chart" id="envelope-chart" data-figure=' in page.text
    assert '<script src="/static/plotly.min.js"></script>' in page.text
    # The secretariat sees the best next delivery: the 36 interceptors committed, unplanned.
    assert "The single delivery that would raise readiness most" in text
    assert "USA: PAC-3 MSE interceptor, 36 missiles (committed, no delivery planned)" in text
    assert "air defence readiness from 40% to 50%" in text
    # France may not see the interceptors' offer: for it, 0% and no best delivery.
    france = browsers["fra"].get("/envelope")
    assert "Patriot battery Air defence 0% 0 of 2" in _text(france)
    assert "0 of 60 missiles in the last 3 months" in _text(france)
    assert "The single delivery that would raise readiness most" not in _text(france)


def test_a_wrong_date_is_named_by_its_label(browsers: dict[str, Browser], scene: Scene) -> None:
    page = browsers["sec"].get("/envelope?as_of=2024-02-30")
    assert page.status_code == 422
    assert "As of: give a date as YYYY-MM-DD" in _text(page)
    assert 'id="e-as-of" name="as_of" value="2024-04-02" aria-invalid="true"' in page.text
    slip = browsers["sec"].get("/envelope?slip=999")
    assert slip.status_code == 422
    assert "Planned delivery: tranche 999 has nothing outstanding to slip" in _text(slip)


def test_a_slip_on_the_page(browsers: dict[str, Browser], scene: Scene, api: Delegations) -> None:
    deu = browsers["deu"]
    plan = deu.get(f"/planned-deliveries?offer={scene.crews}")
    assert "plan-form" in _forms(plan)
    assert "Still to deliver 3: 0 planned, 3 not yet planned" in _text(plan)
    planned = deu.post(
        "/planned-deliveries/act",
        {
            "action": "plan",
            "offer_id": scene.crews,
            "quantity": "3",
            "expected_on": "2024-06-10",
            "idempotency_key": "k1",
        },
    )
    _redirected(planned, f"/planned-deliveries?offer={scene.crews}&done=plan")
    api.as_("usa").post(
        "/api/v1/planned-deliveries",
        json={"offer_id": scene.interceptors, "quantity": 36, "expected_on": "2024-05-15"},
    )
    listed = deu.get(f"/planned-deliveries?offer={scene.crews}&done=plan")
    assert "Delivery tranche planned." in _text(listed)
    tranche = re.search(r'<tr data-tranche="(\d+)">', listed.text)
    assert tranche is not None
    # On 1 July: crews 6 of 6, interceptors 36 of 60: 60%. Slipped 2 months: crews 3 of 6: 50%.
    page = browsers["sec"].get(f"/envelope?slip={tranche.group(1)}&slip_months=2&as_of=2024-07-01")
    text = _text(page)
    assert (
        "If DEU's Air-defence crew training, 3 crews, expected on 2024-06-10, slips 2 months "
        "(to 2024-08-10), air defence readiness on 2024-07-01 falls from 60% to 50%."
    ) in text
    assert "Readiness as of 2024-07-01 — projected from the delivery plans" in text


def test_plans_are_made_changed_and_refused_on_their_page(
    browsers: dict[str, Browser], scene: Scene
) -> None:
    deu, path = browsers["deu"], f"/planned-deliveries?offer={scene.crews}"
    too_many = deu.post(
        "/planned-deliveries/act",
        {"action": "plan", "offer_id": scene.crews, "quantity": "4", "expected_on": "2024-06-10"},
    )
    assert too_many.status_code == 409
    assert "the tranches would plan 4 still to come, but only 3 remain to be delivered" in _text(
        too_many
    )
    assert 'id="t-qty" name="quantity" required inputmode="numeric" value="4"' in too_many.text
    no_date = deu.post(
        "/planned-deliveries/act",
        {"action": "plan", "offer_id": scene.crews, "quantity": "1", "expected_on": ""},
    )
    assert no_date.status_code == 422
    assert "Expected on: give the date the tranche is expected" in _text(no_date)
    deu.post(
        "/planned-deliveries/act",
        {"action": "plan", "offer_id": scene.crews, "quantity": "2", "expected_on": "2024-06-10"},
    )
    listed = deu.get(path)
    found = re.search(r'<tr data-tranche="(\d+)">', listed.text)
    assert found is not None
    tranche = found.group(1)
    no_reason = deu.post(
        "/planned-deliveries/act",
        {
            "action": "replan",
            "offer_id": scene.crews,
            "tranche_id": tranche,
            "expected_on": "2024-08-01",
            "reason": "",
        },
    )
    assert no_reason.status_code == 422 and "Reason: a reason is required" in _text(no_reason)
    replan = {
        "action": "replan",
        "offer_id": scene.crews,
        "tranche_id": tranche,
        "expected_on": "2024-08-01",
        "reason": "late",
    }
    # A re-plan is first checked and described, and changes nothing until it is confirmed.
    asked = deu.post("/planned-deliveries/act", replan)
    assert asked.status_code == 200 and "confirm-form" in _forms(asked)
    assert (
        f"Re-plan tranche {tranche}? DEU's tranche of 2 × Air-defence crew training expected "
        "on 2024-06-10 will be expected as 2 on 2024-08-01, for this reason: “late”."
    ) in _text(asked)
    assert "2024-08-01" not in _text(deu.get(path))
    moved = deu.post("/planned-deliveries/act", {**replan, "confirmed": "yes"})
    _redirected(moved, f"{path}&done=replan")
    assert "2024-08-01" in _text(deu.get(path))
    # The United States may read the plan of an offer released to the council, not change it.
    usa = browsers["usa"].get(path)
    assert usa.status_code == 200 and _forms(usa) == set()
    refused = browsers["usa"].post(
        "/planned-deliveries/act",
        {"action": "remove", "offer_id": scene.crews, "tranche_id": tranche, "reason": "r"},
    )
    assert refused.status_code == 403
    assert "USA may not plan an offer's deliveries" in _text(refused)
    remove = {"action": "remove", "offer_id": scene.crews, "tranche_id": tranche}
    asked = deu.post("/planned-deliveries/act", {**remove, "reason": "cancelled"})
    assert asked.status_code == 200
    assert f"Remove tranche {tranche} from the plan?" in _text(asked)
    assert "cannot be put back" in _text(asked)
    # The confirmation carries what was typed; confirmed, the tranche goes.
    assert 'name="reason" value="cancelled"' in asked.text
    removed = deu.post(
        "/planned-deliveries/act", {**remove, "reason": "cancelled", "confirmed": "yes"}
    )
    _redirected(removed, f"{path}&done=remove")
    assert "No delivery is planned for this offer." in _text(deu.get(path))
    hidden = browsers["fra"].get(f"/planned-deliveries?offer={scene.interceptors}")
    assert hidden.status_code == 404


def test_a_package_page_and_its_form(browsers: dict[str, Browser], scene: Scene) -> None:
    path = f"/capability-packages/{scene.package}"
    page = browsers["ukr"].get(path)
    text = _read(page)
    assert "40%, 0 of 2 units ready — limited by munitions (PAC-3 MSE interceptor)" in text
    assert "package-form" in _forms(page)
    assert "package-form" not in _forms(browsers["deu"].get(path))
    bad = browsers["ukr"].post(
        f"{path}/act",
        {"name": "Patriot battery", "units_needed": "0", "sustain_window_months": "3", "rows": "0"},
    )
    assert bad.status_code == 422 and "Units needed: give at least 1" in _text(bad)
    # One battery, the same three components: interceptors 24 of 30 (80%), crews 3 of 3.
    form = {
        "name": "Patriot battery",
        "units_needed": "1",
        "sustain_window_months": "3",
        "rows": "3",
        "item_0": "pac-3",
        "kind_0": "arm",
        "quantity_0": "10",
        "per_month_0": "yes",
        "item_1": "ad-crew",
        "kind_1": "train",
        "quantity_1": "3",
        "item_2": "patriot",
        "kind_2": "equip",
        "quantity_2": "1",
    }
    changed = browsers["ukr"].post(f"{path}/act", form)
    _redirected(changed, f"{path}?done=change")
    assert "80%, 0 of 1 unit ready" in _read(browsers["ukr"].get(path))
    refused = browsers["deu"].post(f"{path}/act", form)
    assert refused.status_code == 403
    assert "DEU may not define or change a capability package" in _text(refused)


def test_defining_a_package_on_its_page(browsers: dict[str, Browser], seeded: Context) -> None:
    add_items(seeded)
    assert "not-allowed" in browsers["deu"].get("/capability-packages/new").text
    form = browsers["sec"].get("/capability-packages/new")
    assert "package-form" in _forms(form)
    key = re.search(r'name="idempotency_key" value="([^"]+)"', form.text)
    assert key is not None
    data = {
        "idempotency_key": key.group(1),
        "code": "demining-team",
        "name": "Demining team",
        "area": "demining",
        "units_needed": "4",
        "sustain_window_months": "3",
        "rows": "2",
        "item_0": "demining-kit",
        "kind_0": "equip",
        "quantity_0": "5",
        "item_1": "",
    }
    bad = browsers["sec"].post("/capability-packages/new", {**data, "kind_0": "finance"})
    assert bad.status_code == 422
    assert "Component 1 kind: use one of arm, train, equip, sustain" in _text(bad)
    made = browsers["sec"].post("/capability-packages/new", data)
    location = _redirected(made, "/capability-packages/")
    assert location.endswith("?done=defined")
    again = browsers["sec"].post("/capability-packages/new", data)  # the same form twice
    assert _redirected(again, "/capability-packages/") == location
    page = browsers["sec"].get(location)
    assert "Capability package defined." in _text(page)
    assert "0%, 0 of 4 units ready — limited by equipment (Demining kit): 0 of 20 sets" in _read(
        page
    )
