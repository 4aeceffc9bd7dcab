/// Module placeholder; the real contents arrive with their issues.
public enum PointCoreModule {}
