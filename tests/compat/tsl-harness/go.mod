module ferry.test/compat/tsl-harness

go 1.25.0

require github.com/yaacov/tree-search-language/v6 v6.0.10
