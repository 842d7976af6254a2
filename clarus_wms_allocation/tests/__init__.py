from . import test_install
from . import test_allocation
from . import test_bad_input
from . import test_shipping
from . import test_concurrency
from . import test_tours
from . import test_security
from . import test_crons
