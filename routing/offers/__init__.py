"""Live offers: a lead offered to online reps who race to accept it (shotgun, shark tank,
sequential, top-producer cascade, waves). The engine places a lead under an offer with a
plan from one of `methods`; `services` accept, decline and expire it and move it on, and a
lead whose plan runs out goes to the rule's fallback through the engine."""
