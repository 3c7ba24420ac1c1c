"""Temporary: the payment services moved to modules by concern; callers move in the next commit."""
from .bank import *  # noqa: F401,F403
from .batches import *  # noqa: F401,F403
from .common import *  # noqa: F401,F403
from .orders import *  # noqa: F401,F403
from .recovery import *  # noqa: F401,F403
from .rib import *  # noqa: F401,F403
from .settlement import *  # noqa: F401,F403
