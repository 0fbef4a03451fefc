namespace Hipaa;

/// <summary>
/// Options of the development-only keys (<c>UseLocalDevelopmentKey(path)</c>, <c>UseLocalDevelopmentCheckpointSigner(path)</c>):
/// a key in a local file, readable by anyone who can read the file.
/// </summary>
public sealed class LocalDevelopmentKeyOptions
{
    /// <summary>
    /// Gets or sets whether the development key may be used where the host's environment
    /// (<c>IHostEnvironment.EnvironmentName</c>) is <c>Production</c>. Default <see langword="false"/>: such a host refuses
    /// to start. INSECURE: anyone who can read the key file (and the database) can read the PHI or forge the audit
    /// checkpoints. Set it only for a demonstration that holds no real patient's data.
    /// </summary>
    public bool DangerouslyAllowInProduction { get; set; }
}
