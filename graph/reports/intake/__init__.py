"""ESP intake: validation, planning and the intake service shared by both doors."""
