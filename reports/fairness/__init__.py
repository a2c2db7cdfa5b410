"""Distribution fairness: leads per rep against each rep's routing weight, and the Gini
coefficient of the distribution."""
