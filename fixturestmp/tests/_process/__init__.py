"""Tests of fixturestmp._process: forks, /proc and the system temp dir."""
