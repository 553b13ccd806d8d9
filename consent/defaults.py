"""The default purposes every school starts with. Stored in English; the catalogue translates
them on display (the strings are marked here so ``makemessages`` finds them)."""

from __future__ import annotations

from django.utils.translation import gettext_noop as N_

import consent

# code, name, description, form text (version 1)
PURPOSES: list[tuple[str, str, str, str]] = [
    (
        consent.PARTICIPATION,
        N_("Take part in class chat"),
        N_("Your child may have their own account and read and write in their class groups."),
        N_("I agree that my child may take part in the class group chats of Schoolchat with "
           "their own account. Teachers moderate the groups; the school keeps the messages in "
           "its archive for the period in its retention policy. I can withdraw this at any "
           "time, and my child is then removed from the groups."),
    ),
    (
        consent.PHOTOS_CLASS,
        N_("Photos in class groups"),
        N_("Staff may share photos in which your child can be recognised in their class groups."),
        N_("I agree that staff may share photos in which my child can be recognised in the "
           "class groups of my child's classes, seen only by the members of those groups. "
           "If I withdraw this, those photos are hidden from then on."),
    ),
    (
        consent.PHOTOS_TOGETHER,
        N_("Photos together with other children"),
        N_("Photos of your child may also show other children."),
        N_("I agree that photos shared in class groups may show my child together with other "
           "children, who are tagged in the same photo. If I withdraw this, those photos are "
           "hidden from then on."),
    ),
    (
        consent.PHOTOS_WEBSITE,
        N_("Photos on the school website"),
        N_("The school may publish photos of your child on its public website."),
        N_("I agree that the school may publish photos in which my child can be recognised on "
           "its public website, without my child's name. If I withdraw this, the school "
           "removes those photos from the website."),
    ),
]

NAMES: dict[str, str] = {code: name for code, name, _description, _text in PURPOSES}
