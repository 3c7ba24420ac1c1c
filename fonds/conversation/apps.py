from fonds import stages


class ConversationConfig(stages.StageConfig):
    name = "fonds.conversation"
    label = "conversation"
    verbose_name = "Conversation"
    # correction requests and their answers become messages of the thread
    hook_modules = ("corrections",)
