namespace Microsoft.Extensions.DependencyInjection;

/// <summary>
/// Configures Hipaa.Sdk's services; returned by <c>services.AddHipaa()</c> so that safeguards chain:
/// <c>services.AddHipaa().AddFieldEncryption(...)</c>.
/// </summary>
public interface IHipaaBuilder
{
    /// <summary>Gets the service collection the safeguards are registered in.</summary>
    IServiceCollection Services { get; }
}
