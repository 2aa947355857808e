"""Demo and generated data (`ansinh seed`)."""
