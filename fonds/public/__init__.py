"""The public pages of the projects the fund supports (issue 22): list, project page, figures, map,
open data — no sign-in; and what the mayor publishes, what the fund's administrator hides."""
