from fonds import stages


class NotificationsConfig(stages.StageConfig):
    name = "fonds.notifications"
    label = "notifications"
    verbose_name = "Notifications"
    # events: a notice for each transition that waits on someone; conversation: new messages
    hook_modules = ("events", "conversation")
