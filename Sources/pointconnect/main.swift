print("pointconnect")
