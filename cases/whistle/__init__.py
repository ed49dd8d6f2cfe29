"""The whistle: 街道吹哨、部门报到 (WORKFLOW.md §3, issue #14).

A township's command (or the banner's, or a department between departments) blows a whistle
on a case beyond its power; the departments it names, 主办 and 协办 (suggested from the routing
matrix), must acknowledge within 10 minutes and be on site within the kind's limit (data:
``whistle_limit``). Each checks in with the phone's position and accuracy, judged in PostGIS:
on site when within the accuracy (default 200 m) of the meeting point or the case's area,
then on time or late. The whistler releases them (事不完、人不撤: attendance stays open until
then or until the case closes; leaving before is recorded) and scores each attending
department (一哨一考核). Overdue steps are noticed once by the supervision sweep.

Rooms: :mod:`.rules` (kinds, deadlines, checks), :mod:`.blow`, :mod:`.attend`
(acknowledge, check in, leave, release), :mod:`.scores`, :mod:`.read` (views, lists,
conflicts), :mod:`.supervision` (``sweep_whistles``), :mod:`.sample` (the sample whistles,
played through the same functions), :mod:`.models` (the tables). Who sees a whistle is one
SQL fragment, ``sql/fragments/whistle_in_scope.sql``: the case's area in the caller's area
and, for department staff, the department summoned (or the account blew it).
Every change is one transaction: its rows, its audit entry and its live ``whistle`` event
(:func:`cases.live.whistle`), so a refused request writes nothing.
"""
