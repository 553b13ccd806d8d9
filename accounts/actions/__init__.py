"""The accounts app's actions: every change to schools, people, classes and who belongs where.

One module per verb family, as a reader looks for them:

- :mod:`~accounts.actions.schools`: a new school with what it needs to exist;
- :mod:`~accounts.actions.policies`: the school's policies;
- :mod:`~accounts.actions.people`: accounts, pupils, role and detail changes;
- :mod:`~accounts.actions.invitations`: one-time links (issue, revoke, accept, e-mail);
- :mod:`~accounts.actions.enrolment`: classes, enrolments, guardianships, staff assignments;
- :mod:`~accounts.actions.classes`: new classes, and announcing roster changes (the class
  conversations that follow them are messaging's);
- :mod:`~accounts.actions.leavers`: leave dates and deactivation;
- :mod:`~accounts.actions.sessions`: ending a person's sessions so they sign in again;
- :mod:`~accounts.actions.twofactor`: the second factor's writes (:mod:`accounts.twofactor`
  keeps the pure parts).

Each action checks, writes and archives its change in one transaction, and what it decides
follows from it (sessions ended; a signal for the apps that follow the change). Views, commands, the roster
import and tasks call them; nothing else writes these models.
"""
