Console.Error.WriteLine("platform-cli: no commands yet");
return 2;
