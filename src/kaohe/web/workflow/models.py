"""The monthly cycle: period states, publicity, appeals, adjustments, snapshots, bulletins."""
