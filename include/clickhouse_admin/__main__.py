"""`python -m include.clickhouse_admin` (`make clickhouse-setup`): see server_setup.py."""

import sys

from include.clickhouse_admin.server_setup import main

sys.exit(main())
