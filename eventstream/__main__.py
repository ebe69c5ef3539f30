from eventstream.cli import main

raise SystemExit(main())
