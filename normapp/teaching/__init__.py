"""The teaching pages' computations: Compare, Batch dependence, Train vs eval, running
statistics, the seed question and the framework facts checked against torch and Keras."""
