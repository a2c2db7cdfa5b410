"""The manager desk: the skim queue, hand-assigning and reassigning with the engine's
ranked suggestions (`suggestions`), and the writes behind them (`services`)."""
