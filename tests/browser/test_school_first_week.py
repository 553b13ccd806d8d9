"""A school's first week, end to end, as its people meet it: on a fresh database without the demo
seed, through a real daphne process and a committing database, on phone-sized screens.

create_school; the first admin's printed link; a password; two-factor from the QR code's
secret; classes; the roster uploaded through the page; invitations mailed; a teacher and two
parents join by their mailed links and log in by e-mail address; a parent gives photo consent
on the consent page; the teacher posts a photo tagging that parent's child and asks for
acknowledgement; both parents see it arrive live and acknowledge; the teacher reads who has not
acknowledged, by family.
"""

from __future__ import annotations

import email
import email.policy
import re
import time
from collections.abc import Iterator
from pathlib import Path

import pyotp
import pytest
from playwright.sync_api import Browser, BrowserContext, FilePayload, Page, ViewportSize, expect

from accounts.models import Pupil, User
from messaging.models import Acknowledgement, Attachment, Message
from tests.browser.conftest import browser  # noqa: F401
from tests.http import new_school_link
from tests.live import Server, daphne_servers
from tests.messaging.images import photo_with_location

pytestmark = pytest.mark.browser
PHONE: ViewportSize = {"width": 390, "height": 800}
PASSWORD = "a-long-school-secret-7"
ROSTER = (
    "pupil_ref,pupil_first_name,pupil_last_name,date_of_birth,class,guardian_ref,guardian_name,"
    "guardian_email,relationship,parental_responsibility\n"
    "P001,Sam,Jansen,2017-03-04,Groep 4,G001,Olga Jansen,olga@example.invalid,mother,yes\n"
    "P002,Noor,Bakker,2017-05-06,Groep 4,G002,Piet Bakker,piet@example.invalid,father,yes\n"
)


@pytest.fixture
def server(transactional_db: None, tmp_path: Path) -> Iterator[tuple[Server, Path]]:
    outbox = tmp_path / "mail"
    outbox.mkdir()
    env = {"EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
           "EMAIL_FILE_PATH": str(outbox), "MEDIA_ROOT": str(tmp_path / "media")}
    with daphne_servers(1, tmp_path, extra_env=env) as servers:
        yield servers[0], outbox


def mailed_links(outbox: Path) -> dict[str, str]:
    """Each recipient's latest invitation link, from the files the server's mail backend wrote."""
    links: dict[str, str] = {}
    for path in sorted(outbox.iterdir(), key=lambda p: p.stat().st_mtime):
        for raw in path.read_text().split("-" * 79):
            if not raw.strip():
                continue
            message = email.message_from_string(raw.strip(), policy=email.policy.default)
            body = message.get_body(preferencelist=("plain",))
            text = body.get_content() if body is not None else ""
            found = re.search(r"https?://[^\s]+/invite/[\w-]+/", text)
            if found:
                links[str(message["To"]).lower()] = found.group(0)
    return links


def phone(browser: Browser) -> tuple[BrowserContext, Page]:  # noqa: F811
    context = browser.new_context(viewport=PHONE, locale="en-GB")
    return context, context.new_page()


def set_password(page: Page, link: str) -> None:
    """Open the link and choose a password: that signs the person in (staff then enrol their
    second factor; a parent lands on the welcome page)."""
    page.goto(link)
    page.get_by_label("New password", exact=True).fill(PASSWORD)
    page.get_by_label(re.compile("confirm", re.I)).fill(PASSWORD)
    page.get_by_role("button", name=re.compile("Set (my )?password", re.I)).click()
    page.wait_for_url(lambda url: "/invite/" not in url)


def enrol_second_factor(page: Page) -> None:
    """Read the key under the QR code, as an authenticator app scanning it would, and confirm."""
    page.wait_for_url("**/login/two-factor/**")
    key = page.locator("code.secret").inner_text().replace(" ", "")
    page.get_by_label("Code", exact=True).fill(pyotp.TOTP(key).now())
    page.get_by_role("button", name=re.compile("confirm|turn on|verify", re.I)).click()
    # Recovery codes are shown once the first code was right; the person goes on from there.
    expect(page.locator(".recovery-codes, ol.codes, .codes")).to_be_visible()
    page.get_by_role("link", name=re.compile("continue|done", re.I)).click()


def acknowledge(page: Page, text: str, person: User) -> None:
    """Tap "Acknowledge" on the message, opening its actions first where it has several, and
    wait until the acknowledgement is stored."""
    message = page.locator(".message", has_text=text)
    toggle = message.locator("details.actions > summary")
    if toggle.count():
        toggle.click()
    message.get_by_role("button", name=re.compile("^acknowledge", re.I)).click()
    deadline = time.monotonic() + 10
    while not Acknowledgement.objects.filter(message__body=text, user=person).exists():
        assert time.monotonic() < deadline, f"{person} acknowledged nothing"
        time.sleep(0.1)


def test_a_new_schools_first_week(server: tuple[Server, Path], browser: Browser) -> None:  # noqa: F811
    live, outbox = server
    base = live.url

    # The operator makes the school; its first admin opens the printed link on a phone.
    admin_ctx, admin = phone(browser)
    set_password(admin, base + new_school_link(base))
    enrol_second_factor(admin)
    admin.wait_for_url(f"{base}/school/")

    # Classes, then the roster through the page (preview, then apply).
    admin.goto(f"{base}/school/classes/")
    admin.get_by_label(re.compile("^name", re.I)).fill("Groep 4")
    admin.get_by_role("button", name="Create").click()
    expect(admin.get_by_text("Groep 4").first).to_be_visible()
    admin.goto(f"{base}/school/roster/")
    admin.get_by_label(re.compile("Roster file", re.I)).set_input_files(FilePayload(
        name="roster.csv", mimeType="text/csv", buffer=ROSTER.encode()))
    admin.get_by_role("button", name="Preview").click()
    admin.get_by_role("button", name="Apply these changes").click()
    expect(admin.locator(".flash, [role=status]").first).to_be_visible()
    sam = Pupil.objects.get(first_name="Sam")

    # A teacher's account, invited by e-mail at once; assigned to the class.
    admin.goto(f"{base}/school/people/")
    admin.get_by_label(re.compile("^username", re.I)).fill("devries")
    admin.get_by_label(re.compile("display name", re.I)).fill("Ms de Vries")
    admin.locator("#id_role").select_option("teacher")
    admin.get_by_label(re.compile("e-?mail address", re.I)).fill("devries@example.invalid")
    admin.get_by_role("button", name=re.compile("create", re.I)).click()
    teacher = User.objects.get(username="devries")
    admin.goto(f"{base}/school/classes/")
    admin.get_by_role("link", name="Groep 4").click()
    admin.get_by_label("Staff member").select_option(str(teacher.pk))
    admin.get_by_role("button", name="Assign").click()

    # The parents' invitations are mailed from the invitations page.
    admin.goto(f"{base}/school/invitations/")
    admin.get_by_role("button", name="E-mail each of them an invitation link").click()
    expect(admin.locator(".flash").first).to_contain_text(re.compile("e-?mailed|sent", re.I))
    links = mailed_links(outbox)
    assert {"devries@example.invalid", "olga@example.invalid", "piet@example.invalid"} <= set(links)

    # Each joins by their own mailed link on their phone; the parents land on the welcome.
    teacher_ctx, teacher_page = phone(browser)
    set_password(teacher_page, links["devries@example.invalid"])
    if "/login/two-factor/" in teacher_page.url:
        enrol_second_factor(teacher_page)
    olga_ctx, olga = phone(browser)
    set_password(olga, links["olga@example.invalid"])
    olga.wait_for_url(f"{base}/welcome/")
    piet_ctx, piet = phone(browser)
    set_password(piet, links["piet@example.invalid"])
    piet.wait_for_url(f"{base}/welcome/")

    # Olga gives photo consent for Sam on the consent page.
    olga.goto(f"{base}/consent/")
    card = olga.locator(f"[id^='p{sam.pk}-'][id*='photos']").first
    card.get_by_role("button", name="Give consent").click()
    expect(olga.locator(".flash").first).to_contain_text("You gave consent")

    # All three open the class group; the teacher posts a photo of Sam, asking to acknowledge.
    class_group = teacher.memberships.get().conversation
    for page in (teacher_page, olga, piet):
        page.goto(f"{base}/c/{class_group.pk}/")
        expect(page.locator("#chat[data-subscribed='1']")).to_have_count(1)
    teacher_page.set_input_files("#id_file", files=[FilePayload(
        name="class-photo.jpg", mimeType="image/jpeg", buffer=photo_with_location())])
    teacher_page.locator("#tag-list").get_by_label("Sam J.").check()
    expect(teacher_page.locator("#attached li")).to_contain_text("class-photo.jpg")
    teacher_page.get_by_role("textbox", name="Message").fill("Our class photo!")
    teacher_page.get_by_label(re.compile("acknowledge", re.I)).check()
    teacher_page.get_by_role("button", name="Send", exact=True).click()

    # Both parents see it arrive live, photo included, and acknowledge.
    for page in (olga, piet):
        message = page.locator(".message", has_text="Our class photo!")
        expect(message.locator(".attachments img")).to_have_count(1, timeout=5000)
    acknowledge(olga, "Our class photo!", User.objects.get(email="olga@example.invalid"))
    posted = Message.objects.get(body="Our class photo!")
    assert Attachment.objects.filter(message=posted, pupils=sam).exists()

    # The teacher reads who has not acknowledged, by family: Noor's, until Piet acknowledges.
    teacher_page.goto(f"{base}/c/{class_group.pk}/m/{posted.pk}/acknowledgements")
    expect(teacher_page.locator("#family-count")).to_have_text("1 of 2 families acknowledged")
    expect(teacher_page.locator("#pending")).to_contain_text("Noor Bakker")
    expect(teacher_page.locator("#pending")).to_contain_text("Piet Bakker")
    expect(teacher_page.locator("#acknowledged")).to_contain_text("Sam Jansen")
    acknowledge(piet, "Our class photo!", User.objects.get(email="piet@example.invalid"))
    teacher_page.reload()
    expect(teacher_page.locator("#family-count")).to_have_text("2 of 2 families acknowledged")
    assert Acknowledgement.objects.filter(message=posted).count() == 2

    for context in (admin_ctx, teacher_ctx, olga_ctx, piet_ctx):
        context.close()
