"""A report's journey on phone-sized screens, in a school made with ``create_school``, through
a real daphne process and a committing database: a parent reports a message with a reason;
the lead's open queue shows it without a reload; the lead looks at the conversation (saying
why) and removes the message; another member's open tab shows "Removed by the school"; the
DPO's oversight page lists the report, the look and the removal. axe audits every page."""

from __future__ import annotations

import pytest
from playwright.sync_api import ViewportSize, expect

from accounts.actions.people import create_account
from accounts.actions.schools import create_school
from accounts.models import Role, School, User
from messaging.actions import membership, send
from messaging.models import Conversation
from tests.browser.conftest import (  # noqa: F401  (shared fixtures)
    Login,
    axe_audit,
    browser,
    live_server_url,
    live_servers,
    login,
)
from tests.factories import PASSWORD

pytestmark = pytest.mark.browser
PHONE: ViewportSize = {"width": 360, "height": 740}
LIVE = 2000  # ms: what "live" means here


def _school() -> tuple[School, dict[str, User]]:
    school, _ = create_school("De Regenboog", slug="regenboog")
    # The lead and the DPO log in with a password alone here; two-factor has its own tests.
    school.require_staff_2fa = False
    school.save()
    people = {}
    for username, name, role in (("mirjam", "Juf Mirjam", Role.TEACHER),
                                 ("anna", "Anna de Boer", Role.PARENT),
                                 ("bram", "Bram Smit", Role.PARENT),
                                 ("veilig", "Meneer Veilig", Role.SAFEGUARDING),
                                 ("privacy", "Mevrouw Privé", Role.DPO)):
        user = create_account(school, actor=None, username=username, display_name=name,
                              role=role)
        user.set_password(PASSWORD)  # as if they had followed their invitations
        user.is_active = True
        user.save()
        people[username] = user
    return school, people


def test_a_report_reaches_the_lead_live_and_the_removal_reaches_the_members(
        live_server_url: str, login: Login) -> None:  # noqa: F811
    school, people = _school()
    club = Conversation.objects.create(school=school, kind=Conversation.Kind.GROUP,
                                       title="Ouders groep 4")
    for member in ("mirjam", "anna", "bram"):
        membership.add_member(club, people[member], actor=None, manager=member == "mirjam")
    unkind, _ = send.post_message(people["mirjam"], club, "Jullie kinderen zijn dom")

    lead = login(live_server_url, "veilig", viewport=PHONE)
    expect(lead).to_have_url(f"{live_server_url}/safeguarding/")
    expect(lead.locator("#queue")).to_have_attribute("data-live", "1")
    expect(lead.locator("#queue-items")).to_contain_text("Nothing is waiting.")

    bram = login(live_server_url, "bram", viewport=PHONE)
    bram.goto(f"{live_server_url}/c/{club.pk}/")
    expect(bram.locator("#chat")).to_have_attribute("data-subscribed", "1")
    expect(bram.locator(f"#m{unkind.pk}")).to_contain_text("Jullie kinderen zijn dom")

    anna = login(live_server_url, "anna", viewport=PHONE)
    anna.goto(f"{live_server_url}/c/{club.pk}/")
    message = anna.locator(f"#m{unkind.pk}")
    message.locator("summary", has_text="Actions").click()
    message.get_by_role("link", name="Report").click()
    anna.get_by_label("What is wrong?").select_option("bullying")
    anna.get_by_label("Anything the school should know (optional)").fill("Said to all parents")
    anna.get_by_role("button", name="Send the report").click()
    expect(anna).to_have_url(f"{live_server_url}/safeguarding/my-reports/")
    expect(anna.locator(".report")).to_contain_text("Open")

    # The lead's open queue, not reloaded.
    item = lead.locator("#queue-items .queue-item", has_text="Jullie kinderen zijn dom")
    expect(item).to_contain_text("Report: Bullying", timeout=LIVE)
    expect(item).to_contain_text("Reported by Anna de Boer")
    item.get_by_role("link", name="Review").click()
    lead.get_by_label("Why do you need to see this conversation?").fill(
        "A parent reported bullying")
    lead.get_by_role("button", name="Show the conversation around it").click()
    expect(lead.locator("ol.context li.current")).to_contain_text("Jullie kinderen zijn dom")
    lead.locator("#id_remove-reason").fill("Insulting the children")
    lead.get_by_role("button", name="Remove the message").click()
    expect(lead).to_have_url(f"{live_server_url}/safeguarding/")
    expect(lead.locator("#queue-items")).to_contain_text("Nothing is waiting.")

    # Bram's open tab, not reloaded.
    expect(bram.locator(f"#m{unkind.pk} .body.gone")).to_have_text("Removed by the school",
                                                                   timeout=LIVE)
    expect(bram.locator(f"#m{unkind.pk}")).not_to_contain_text("Jullie kinderen zijn dom")
    anna.reload()
    expect(anna.locator(".report")).to_contain_text("Action taken")

    dpo = login(live_server_url, "privacy", viewport=PHONE)
    dpo.goto(f"{live_server_url}/safeguarding/oversight/")
    lines = dpo.locator("ul.oversight")
    expect(lines.locator("li", has_text="Report made")).to_contain_text("Anna de Boer")
    expect(lines.locator("li", has_text="Looked at a conversation")).to_contain_text(
        "A parent reported bullying")
    expect(lines.locator("li", has_text="Message removed")).to_contain_text(
        "Insulting the children")
    expect(lines.locator("li", has_text="Message removed")).to_contain_text("Meneer Veilig")
    # The DPO releases the report into the teacher's export, for a reason; the page says so.
    report_line = lines.locator("li", has_text="Report made")
    report_line.get_by_text("Release into a subject access export").click()
    expect(report_line.get_by_label("Whose export")).to_have_value(f"user:{people['mirjam'].pk}")
    report_line.get_by_label("Why release it").fill("Juf Mirjam asked for her data")
    report_line.get_by_role("button", name="Release").click()
    expect(dpo.locator("ul.oversight li", has_text="Report made")).to_contain_text(
        "Released into the subject access export of Juf Mirjam.")
    for page in (lead, anna, bram, dpo):
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
