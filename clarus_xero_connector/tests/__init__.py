from . import test_install
from . import test_push
from . import test_documents
from . import test_reliability
from . import test_webhooks
from . import test_shipments
from . import test_ui
from . import test_tours
