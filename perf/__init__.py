"""perf/: the wrk micro-benchmark (``perf.bench``), its floors and the blog's apps."""
