namespace Hipaa.Cli.ClinicDriver;

/// <summary>Not PHI: not in the safeguards inventory.</summary>
public sealed class ClinicSetting
{
    public int Id { get; set; }

    public string Name { get; set; } = string.Empty;
}
