import JetstreamTailCore

print(JetstreamTail.version)
