from . import clarus_allocation_wizard
