namespace CityContact.Benchmarks;

/// <summary>The repository the benchmarks run from: its fixtures, scripts and the files they write.</summary>
internal static class Repository
{
    public static string Root()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "CityContact.sln")))
            {
                return dir.FullName;
            }
        }
        throw new InvalidOperationException("CityContact.sln not found above " + AppContext.BaseDirectory);
    }
}
