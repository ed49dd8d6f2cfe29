"""Party members (达拉特红, WORKFLOW.md §4.4): report in, claim community tasks, earn points.

- 在线报到 (:mod:`.members`): a party member reports in once at the micro-grid they live in
  (their own, the account's scope), with skills and availability.
- Tasks (:mod:`.tasks`): community staff (a grid worker of the community, a township officer
  over it, an admin) publish a task for a community (嘎查村/社区, a village-level area); a
  registered member of that community claims it, once (a second claim is 409); the staff
  confirm it completed or a no-show, once.
- Points (:mod:`.points`): base 60 each year, +5 a completed task, −10 a no-show, never below
  0 (the floor holds at every step, in the order the outcomes were confirmed), started afresh
  on 1 January (China time); a quarterly ranking per community by the points at the quarter's
  end. Points are folded from the claims and confirmations, which are append-only; none is
  stored.
- Units (:func:`.members.units`): a unit is a community's party branch (the village-level
  area the member serves; the sample holds no workplaces); it is flagged when fewer than 95 %
  of its party members have reported in.

Who is out of scope reads 404 as if the task did not exist; names are masked in every answer.
"""
