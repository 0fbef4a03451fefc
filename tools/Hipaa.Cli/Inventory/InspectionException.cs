namespace Hipaa.Cli.Inventory;

/// <summary>The application's assembly could not be loaded or its model could not be built; the message says what and how to fix it.</summary>
internal sealed class InspectionException(string message, Exception? innerException = null) : Exception(message, innerException);
