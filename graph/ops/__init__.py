"""Operations: backups, restores and the write pause they need."""
