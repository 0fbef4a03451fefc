namespace Hipaa.Cli.Policy;

/// <summary>A scenario file that cannot be read: the message names the file, the scenario and the field.</summary>
internal sealed class ScenarioFormatException : Exception
{
    public ScenarioFormatException()
    {
    }

    public ScenarioFormatException(string message)
        : base(message)
    {
    }

    public ScenarioFormatException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
