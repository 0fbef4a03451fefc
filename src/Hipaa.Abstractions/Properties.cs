using System.Runtime.CompilerServices;

[assembly: InternalsVisibleTo("Hipaa.EfCore")]
[assembly: InternalsVisibleTo("Hipaa.EfCore.Tests")]
[assembly: InternalsVisibleTo("Hipaa.Cli")]
[assembly: InternalsVisibleTo("Hipaa.Cli.Tests")]
[assembly: InternalsVisibleTo("Hipaa.Benchmarks")]
