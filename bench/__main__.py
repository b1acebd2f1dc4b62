from bench.harness.cli import main

raise SystemExit(main())
