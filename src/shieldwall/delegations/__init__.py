"""Who sits where: member, partner and secretariat delegations, with joining and leaving dates."""
